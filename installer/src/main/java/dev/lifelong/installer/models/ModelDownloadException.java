package dev.lifelong.installer.models;

import java.io.IOException;

/** A model could not be fetched or did not match its pinned checksum. The message is meant for the user. */
public class ModelDownloadException extends IOException {

    public ModelDownloadException(String message) {
        super(message);
    }

    public ModelDownloadException(String message, Throwable cause) {
        super(message, cause);
    }
}
