package dev.lifelong.loop;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class EvaluationGateTest {
    private final UpdateSettings.Gate gate = UpdateSettings.Gate.defaults();

    private static EvaluationGate.Metrics metrics(double newAfter, Double oldAfter, double generalAfter, Double factsAfter) {
        return new EvaluationGate.Metrics(2.0, newAfter, false, oldAfter == null ? null : 1.5, oldAfter, 3.0, 3.0, generalAfter,
                factsAfter == null ? null : 0.5, factsAfter, 10);
    }

    @Test
    void promotesWhenItLearnsWithoutForgetting() {
        EvaluationGate.Verdict v = EvaluationGate.judge(metrics(1.5, 1.52, 3.03, 0.8), gate);
        assertThat(v.promote()).as(v.summary()).isTrue();
        assertThat(v.reasons()).hasSize(4);
        assertThat(v.summary()).startsWith("promoted: new-data loss 2.0000 → 1.5000 (-25.0%");
    }

    @Test
    void rejectsWhenNothingWasLearned() {
        EvaluationGate.Verdict v = EvaluationGate.judge(metrics(1.99, null, 3.0, null), gate);
        assertThat(v.promote()).isFalse();
        assertThat(v.reasons().get(0)).startsWith("new-data loss");
    }

    @Test
    void rejectsForgettingGeneralDamageAndLostFacts() {
        assertThat(EvaluationGate.judge(metrics(1.5, 1.6, 3.0, null), gate).reasons().get(0)).startsWith("earlier-data loss");
        assertThat(EvaluationGate.judge(metrics(1.5, null, 3.1, null), gate).reasons().get(0)).startsWith("general-probe loss");
        assertThat(EvaluationGate.judge(metrics(1.5, null, 3.0, 0.4), gate).reasons().get(0)).startsWith("closed-book facts");
        assertThat(EvaluationGate.judge(metrics(Double.NaN, null, 3.0, null), gate).promote()).isFalse();
    }

    @Test
    void aTinyAbsoluteRiseOfANearZeroLossIsNotForgetting() {
        var nearZero = new EvaluationGate.Metrics(2.0, 1.5, false, 0.012, 0.030, 3.0, 3.0, 3.0, null, null, 0);
        assertThat(EvaluationGate.judge(nearZero, gate).promote()).as("+150% but only +0.018 nats").isTrue();
        var real = new EvaluationGate.Metrics(2.0, 1.5, false, 0.012, 0.074, 3.0, 3.0, 3.0, null, null, 0);
        assertThat(EvaluationGate.judge(real, gate).promote()).isFalse();
    }
}
