package dev.lifelong.io;

import java.io.IOException;

/**
 * Faults that the crash and disk-full tests inject on purpose, through the environment of a real subprocess:
 * {@code LIFELONG_FAULT=disk-full:POINT} makes the write at POINT fail halfway like a full disk. Points: {@code adapter}
 * (any adapter file the trainer writes), {@code promotion} (the copy of a promoted adapter), {@code backup}.
 * Never set in normal use; one environment lookup per write.
 */
public final class FaultInjection {
    private FaultInjection() {}

    /** Throws the IOException a full disk gives when the fault for {@code point} is switched on. */
    public static void diskFullAt(String point) throws IOException {
        if (("disk-full:" + point).equals(System.getenv("LIFELONG_FAULT"))) {
            throw new IOException("No space left on device (injected fault at " + point + ")");
        }
    }
}
