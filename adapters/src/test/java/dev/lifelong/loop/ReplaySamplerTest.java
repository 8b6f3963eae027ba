package dev.lifelong.loop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lifelong.lora.data.ChatExample;
import dev.lifelong.lora.data.Turn;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReplaySamplerTest {
    private static long nextId = 1;

    private static List<DatasetExample> month(int year, int month, int count) {
        List<DatasetExample> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Instant at = LocalDate.of(year, month, 1 + i % 28).atStartOfDay().toInstant(ZoneOffset.UTC).plusSeconds(i);
            long id = nextId++;
            out.add(new DatasetExample(new ChatExample(List.of(Turn.user("q" + id), Turn.assistant("a" + id))),
                    DatasetExample.Kind.TURN, id, at));
        }
        return out;
    }

    @Test
    void countIsOnePercentWithAMinimumAndNeverMoreThanThePool() {
        assertThat(ReplaySampler.targetCount(10_000, 0.01, 8)).isEqualTo(100);
        assertThat(ReplaySampler.targetCount(1_000, 0.01, 8)).isEqualTo(10);
        assertThat(ReplaySampler.targetCount(100, 0.01, 8)).isEqualTo(8);
        assertThat(ReplaySampler.targetCount(5, 0.01, 8)).isEqualTo(5);
        assertThat(ReplaySampler.targetCount(0, 0.01, 8)).isZero();
        assertThat(ReplaySampler.targetCount(10_000, 0.05, 0)).isEqualTo(500);
        assertThat(ReplaySampler.targetCount(10_000, 0, 0)).isZero();
        assertThatThrownBy(() -> ReplaySampler.targetCount(10, 1.5, 0)).hasMessageContaining("between 0 and 1");
    }

    @Test
    void stratifiedByMonthSoARecentBurstDoesNotCrowdOutOldMonths() {
        List<DatasetExample> pool = new ArrayList<>();
        pool.addAll(month(2026, 1, 300));
        pool.addAll(month(2026, 2, 300));
        pool.addAll(month(2026, 3, 3_400)); // a busy month
        ReplaySampler.Sample s = ReplaySampler.sample(pool, 0.01, 8, 7);
        assertThat(s.examples()).hasSize(40);
        assertThat(s.perMonth()).containsEntry("2026-01", 3).containsEntry("2026-02", 3).containsEntry("2026-03", 34);
        // Proportional per month: a uniform draw from the pool would give these months 3 ± 1.7 each, here exactly 3.
        assertThat(new HashSet<>(s.examples())).hasSize(40);
        assertThat(pool).containsAll(s.examples());
    }

    @Test
    void smallMonthsGetAPlaceBeforeLargeRemaindersOldestFirst() {
        List<DatasetExample> pool = new ArrayList<>();
        pool.addAll(month(2025, 11, 20));
        pool.addAll(month(2025, 12, 20));
        pool.addAll(month(2026, 1, 960));
        ReplaySampler.Sample s = ReplaySampler.sample(pool, 0.01, 0, 1);
        assertThat(s.examples()).hasSize(10);
        assertThat(s.perMonth()).containsEntry("2025-11", 1).containsEntry("2025-12", 1).containsEntry("2026-01", 8);
    }

    @Test
    void deterministicPerSeedAndDifferentAcrossSeeds() {
        List<DatasetExample> pool = new ArrayList<>(month(2026, 5, 500));
        pool.addAll(month(2026, 6, 500));
        List<DatasetExample> a = ReplaySampler.sample(pool, 0.02, 0, 42).examples();
        List<DatasetExample> b = ReplaySampler.sample(new ArrayList<>(pool.reversed()), 0.02, 0, 42).examples();
        List<DatasetExample> c = ReplaySampler.sample(pool, 0.02, 0, 43).examples();
        assertThat(a).hasSize(20).isEqualTo(b);
        assertThat(c).hasSize(20).isNotEqualTo(a);
    }
}
