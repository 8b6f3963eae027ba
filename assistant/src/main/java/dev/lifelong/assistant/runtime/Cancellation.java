package dev.lifelong.assistant.runtime;

import java.util.concurrent.atomic.AtomicBoolean;

/** A flag a request handler flips (Stop button, client gone) and the generation loop polls between tokens. */
public final class Cancellation {
    private final AtomicBoolean cancelled = new AtomicBoolean();

    /** @return true if this call cancelled it, false if it already was. */
    public boolean cancel() { return cancelled.compareAndSet(false, true); }

    public boolean isCancelled() { return cancelled.get(); }
}
