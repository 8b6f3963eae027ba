package dev.lifelong.installer.models;

/** Told how a download is going. Called on the downloading thread. */
@FunctionalInterface
public interface ProgressListener {

    /**
     * @param bytesDone  bytes of the file now on disk (includes a resumed part; may drop to 0 if the server
     *                   forces a restart)
     * @param totalBytes size of the whole file, or -1 when unknown
     */
    void onProgress(long bytesDone, long totalBytes);

    /** A human-readable event (resuming, retrying, verifying). */
    default void onMessage(String line) {
    }

    ProgressListener NONE = (done, total) -> { };
}
