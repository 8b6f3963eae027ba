package dev.lifelong.seedling.training;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Autograd gradients of every kind of weight agree with float64 central finite differences (in a child JVM). */
class GradientCheckTest {
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void gradientsMatchFiniteDifferences(boolean tied) throws Exception {
        String out = Seedlings.child(GradCheckMain.class, Boolean.toString(tied));
        double maxErr = Double.parseDouble(value(out, "MAXERR "));
        assertThat(Integer.parseInt(value(out, "CHECKED "))).as(out).isGreaterThanOrEqualTo(tied ? 30 : 33);
        assertThat(maxErr).as(out).isLessThan(1e-5);
        assertThat(Double.parseDouble(value(out, "PADDING "))).as("padded batch loss = sum of rows' losses")
                .isLessThan(1e-12);
    }

    private static String value(String out, String prefix) {
        return out.lines().filter(l -> l.startsWith(prefix)).findFirst().orElseThrow(() -> new AssertionError(out))
                .substring(prefix.length()).trim();
    }
}
