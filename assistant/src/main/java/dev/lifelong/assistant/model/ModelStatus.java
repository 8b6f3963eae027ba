package dev.lifelong.assistant.model;

/**
 * What the UI and {@code /api/status} show about the model.
 *
 * @param demo  true when the loaded model is the seedling, the tiny built-in demo model
 * @param error why the last load failed, meant for the user; null when none
 */
public record ModelStatus(boolean loaded, String name, String path, boolean demo, String error, DownloadState download) {

    /** Progress of a model download started from the UI. state: running, done or failed. */
    public record DownloadState(String id, String state, long bytes, long total, String error) {}
}
