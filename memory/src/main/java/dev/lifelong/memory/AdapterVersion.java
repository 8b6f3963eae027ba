package dev.lifelong.memory;

import java.time.Instant;

/**
 * One trained adapter of a user, with what it was trained on and how it did at the gate.
 *
 * @param file        relative to the data folder; null once the retention policy deleted it (or it was rejected)
 * @param report      JSON: dataset counts per curation rule, replay, metrics, loss history, the gate's reasons
 * @param reason      one line: why it was promoted or rejected
 * @param dataUntilMessageId the newest message its dataset could contain; the next update starts after it
 */
public record AdapterVersion(long id, long userId, int version, Long parentId, State state, boolean serving, String file,
        String sha256, String baseSha256, String datasetSha256, long dataUntilMessageId, String report, String reason,
        Instant createdAt, Instant promotedAt) {

    public enum State {
        PROMOTED, REJECTED;

        public String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }
}
