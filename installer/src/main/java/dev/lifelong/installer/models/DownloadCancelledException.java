package dev.lifelong.installer.models;

import java.nio.file.Path;

/** The caller cancelled the download. The partial file is kept so that the next attempt resumes. */
public class DownloadCancelledException extends ModelDownloadException {

    private final transient Path partFile;

    public DownloadCancelledException(Path partFile, long bytesKept) {
        super("download cancelled; " + bytesKept + " bytes kept in " + partFile + " and will be resumed next time");
        this.partFile = partFile;
    }

    public Path partFile() {
        return partFile;
    }
}
