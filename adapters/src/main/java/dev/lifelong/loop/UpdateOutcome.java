package dev.lifelong.loop;

import dev.lifelong.memory.AdapterVersion;

/**
 * How an update ended: a new version (promoted or rejected, with its figures), or nothing to learn.
 *
 * @param version null when there was nothing new to learn
 */
public record UpdateOutcome(AdapterVersion version, String summary) {
    public boolean promoted() {
        return version != null && version.state() == AdapterVersion.State.PROMOTED;
    }
}
