package dev.lifelong.memory;

/** The database could not do what was asked: it cannot be opened, is too new, is corrupt, or the disk failed. */
public class StorageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public StorageException(String message) {
        super(message);
    }

    public StorageException(String message, Throwable cause) {
        super(message, cause);
    }
}
