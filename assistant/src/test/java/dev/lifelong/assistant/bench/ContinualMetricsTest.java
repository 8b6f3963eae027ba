package dev.lifelong.assistant.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class ContinualMetricsTest {
    @Test
    void figuresOfAHandComputedMatrix() {
        double[][] r = {
                {0.8, 0.1, 0.0},
                {0.6, 0.9, 0.2},
                {0.4, 0.7, 1.0},
        };
        double[] base = {0.0, 0.1, 0.0};
        ContinualMetrics m = ContinualMetrics.of(r, base);
        assertThat(m.acc()).isCloseTo((0.4 + 0.7 + 1.0) / 3, within(1e-12));
        assertThat(m.bwt()).isCloseTo(((0.4 - 0.8) + (0.7 - 0.9)) / 2, within(1e-12));
        assertThat(m.fwt()).isCloseTo(((0.1 - 0.1) + (0.2 - 0.0)) / 2, within(1e-12));
        assertThat(m.forgetting()).isCloseTo(((0.8 - 0.4) + (0.9 - 0.7)) / 2, within(1e-12));
    }

    @Test
    void aLearnerThatNeverForgetsHasNoForgettingAndNoNegativeTransfer() {
        double[][] r = {{1, 0}, {1, 1}};
        ContinualMetrics m = ContinualMetrics.of(r, new double[] {0, 0});
        assertThat(m.acc()).isEqualTo(1);
        assertThat(m.bwt()).isZero();
        assertThat(m.forgetting()).isZero();
        assertThat(m.fwt()).isZero();
    }

    @Test
    void forgettingTakesTheBestEarlierAccuracyNotJustTheFirst() {
        double[][] r = {{0.2, 0, 0}, {0.9, 0, 0}, {0.3, 0, 0}};
        assertThat(ContinualMetrics.of(r, new double[3]).forgetting()).isCloseTo((0.9 - 0.3) / 2, within(1e-12));
        assertThat(ContinualMetrics.of(r, new double[3]).bwt()).isCloseTo(((0.3 - 0.2) + 0) / 2, within(1e-12));
    }
}
