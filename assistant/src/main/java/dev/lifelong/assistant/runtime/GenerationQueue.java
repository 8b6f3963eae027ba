package dev.lifelong.assistant.runtime;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * Decides whose answer is generated next, so that one user's many requests cannot make another's wait behind them.
 * At most {@code slots} answers are generated at once; one user holds at most {@code slots - 1} of them (all of them
 * with one slot), so a slot stays free for whoever else asks; waiting answers are taken user by user in turn (round
 * robin), each user's in order. A user may have {@value #PER_USER} answers admitted (generating or waiting), the server
 * {@value #WAITING} waiting; past that a request is refused at once ({@link Busy}, a 429) instead of queueing
 * without end.
 *
 * <p>Generation runs on platform threads of this queue: llama.cpp blocks inside native code for the whole answer,
 * which would pin the carrier of a virtual thread (HTTP requests run on virtual threads). The request's own thread
 * receives the pieces through a queue and hands them to its consumer (the SSE stream), so a slow reader slows down
 * nobody's generation but its own, and a consumer that throws (client gone) stops the answer.
 */
public final class GenerationQueue implements AutoCloseable {
    /** Answers one user may have admitted at once (generating or waiting). */
    public static final int PER_USER = 4;
    /** Answers of all users together that may wait for a slot. */
    public static final int WAITING = 32;
    static final Duration RETRY_AFTER = Duration.ofSeconds(10);
    private static final Object END = new Object();

    /** The request is refused: too many answers of this user, or of everyone, are already admitted. */
    public static final class Busy extends RuntimeException {
        private final boolean user;

        Busy(boolean user, String message) {
            super(message);
            this.user = user;
        }

        /** True: the user's own limit; false: the server's. */
        public boolean userLimit() { return user; }

        public Duration retryAfter() { return RETRY_AFTER; }
    }

    /** What a slot runs: a generation that reports its pieces to {@code onToken}. */
    @FunctionalInterface
    public interface Work {
        GenerationResult run(Consumer<String> onToken);
    }

    /**
     * A place in the queue, taken before anything is written for the request (so a refusal is a clean 429). Use it for
     * one {@link #generate}; close it in any case.
     */
    public final class Ticket implements AutoCloseable {
        private final long userId;
        private boolean released;

        private Ticket(long userId) { this.userId = userId; }

        /**
         * Waits for a slot, generates, and hands each piece to {@code onToken} on the calling thread. Returns the
         * result (finish reason CANCELLED, maybe with no text, when {@code cancellation} was set before or during the
         * answer); rethrows what the generation or {@code onToken} threw.
         */
        public GenerationResult generate(Work work, Consumer<String> onToken, Cancellation cancellation) {
            Job job = new Job(this, work, cancellation);
            lock.lock();
            try {
                waiting.computeIfAbsent(userId, k -> new ArrayDeque<>()).addLast(job);
                dispatch();
            } finally {
                lock.unlock();
            }
            return job.await(onToken);
        }

        @Override
        public void close() {
            lock.lock();
            try {
                if (released) return;
                released = true;
                admitted.merge(userId, -1, Integer::sum);
                admitted.remove(userId, 0);
                admittedTotal--;
            } finally {
                lock.unlock();
            }
        }
    }

    private final class Job {
        final Ticket ticket;
        final Work work;
        final Cancellation cancellation;
        final LinkedBlockingQueue<Object> events = new LinkedBlockingQueue<>();
        boolean started;
        volatile GenerationResult result;
        volatile RuntimeException failure;

        Job(Ticket ticket, Work work, Cancellation cancellation) {
            this.ticket = ticket;
            this.work = work;
            this.cancellation = cancellation;
        }

        void run() {
            try {
                result = cancellation.isCancelled() ? new GenerationResult("", GenerationResult.FinishReason.CANCELLED, 0, 0)
                        : work.run(events::add);
            } catch (RuntimeException e) {
                failure = e;
            } catch (Error e) {
                failure = new GenerationException("generation failed: " + e, e);
            } finally {
                lock.lock();
                try {
                    running--;
                    runningPerUser.merge(ticket.userId, -1, Integer::sum);
                    runningPerUser.remove(ticket.userId, 0);
                    dispatch();
                } finally {
                    lock.unlock();
                }
                events.add(END);
            }
        }

        GenerationResult await(Consumer<String> onToken) {
            RuntimeException fromConsumer = null;
            try {
                while (true) {
                    Object e = events.poll(200, TimeUnit.MILLISECONDS);
                    if (e == null) {
                        if (cancellation.isCancelled() && withdrawIfWaiting()) {
                            return new GenerationResult("", GenerationResult.FinishReason.CANCELLED, 0, 0);
                        }
                        continue;
                    }
                    if (e == END) break;
                    if (fromConsumer != null) continue; // draining: the answer is being stopped
                    try {
                        onToken.accept((String) e);
                    } catch (RuntimeException ex) {
                        fromConsumer = ex;
                        cancellation.cancel();
                    }
                }
            } catch (InterruptedException e) {
                cancellation.cancel();
                Thread.currentThread().interrupt();
                throw new GenerationException("interrupted while waiting for the answer", e);
            }
            if (fromConsumer != null) throw fromConsumer;
            if (failure != null) throw failure;
            return result;
        }

        /** Takes the job out of the queue if no slot has started it yet. */
        private boolean withdrawIfWaiting() {
            lock.lock();
            try {
                if (started) return false;
                Deque<Job> mine = waiting.get(ticket.userId);
                if (mine != null) {
                    mine.remove(this);
                    if (mine.isEmpty()) waiting.remove(ticket.userId);
                }
                return true;
            } finally {
                lock.unlock();
            }
        }
    }

    private final int slots;
    private final int slotsPerUser;
    private final ReentrantLock lock = new ReentrantLock();
    /** Users with waiting answers, in turn order (insertion order; a user who got a slot moves to the back). */
    private final LinkedHashMap<Long, Deque<Job>> waiting = new LinkedHashMap<>();
    private final Map<Long, Integer> admitted = new HashMap<>();
    private final Map<Long, Integer> runningPerUser = new HashMap<>();
    private int admittedTotal;
    private int running;
    private final ExecutorService threads;

    /** @param slots answers generated at once (llama.cpp's parallel slots) */
    public GenerationQueue(int slots) {
        if (slots < 1) throw new IllegalArgumentException("slots must be at least 1");
        this.slots = slots;
        this.slotsPerUser = Math.max(1, slots - 1);
        AtomicInteger n = new AtomicInteger();
        this.threads = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "generation-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Takes a place for one answer of {@code userId}.
     *
     * @throws Busy when the user already has {@value #PER_USER} answers admitted, or {@value #WAITING} answers wait
     */
    public Ticket admit(long userId) {
        lock.lock();
        try {
            int mine = admitted.getOrDefault(userId, 0);
            if (mine >= PER_USER) {
                throw new Busy(true, "you already have " + mine + " answers being written or waiting (at most " + PER_USER
                        + " at once); wait for one to finish");
            }
            if (admittedTotal - running >= WAITING) {
                throw new Busy(false, "the server is busy (" + (admittedTotal - running) + " answers are waiting); try again shortly");
            }
            admitted.merge(userId, 1, Integer::sum);
            admittedTotal++;
            return new Ticket(userId);
        } finally {
            lock.unlock();
        }
    }

    /** Answers admitted for the user (generating or waiting): for tests and status. */
    public int admitted(long userId) {
        lock.lock();
        try {
            return admitted.getOrDefault(userId, 0);
        } finally {
            lock.unlock();
        }
    }

    /** Starts waiting jobs while slots are free: the first user in turn order who may take one. Under the lock. */
    private void dispatch() {
        while (running < slots) {
            Job next = null;
            for (var it = waiting.entrySet().iterator(); it.hasNext(); ) {
                var e = it.next();
                if (runningPerUser.getOrDefault(e.getKey(), 0) >= slotsPerUser) continue;
                next = e.getValue().pollFirst();
                it.remove();
                // the user goes to the back of the turn order, with whatever else they have waiting
                if (!e.getValue().isEmpty()) waiting.put(e.getKey(), e.getValue());
                break;
            }
            if (next == null) return;
            next.started = true;
            running++;
            runningPerUser.merge(next.ticket.userId, 1, Integer::sum);
            Job job = next;
            threads.execute(job::run);
        }
    }

    @Override
    public void close() {
        threads.shutdownNow();
    }
}
