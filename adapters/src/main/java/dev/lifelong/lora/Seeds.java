package dev.lifelong.lora;

/** Derives independent seeds from tuples, so randomness is a pure function of (seed, step, ...). */
final class Seeds {
    private Seeds() {
    }

    static long mix(long... parts) {
        long h = 0x243F6A8885A308D3L;
        for (long p : parts) {
            h = splitmix(h ^ p);
        }
        return h;
    }

    private static long splitmix(long z) {
        z += 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
