package dev.lifelong.assistant.memory;

import dev.lifelong.assistant.runtime.ChatTurn;
import dev.lifelong.memory.Memory;
import dev.lifelong.memory.MemoryKind;
import dev.lifelong.memory.Message;
import dev.lifelong.memory.retrieval.MemoryService;
import dev.lifelong.memory.retrieval.RetrievedMemory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.text.Normalizer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * After each exchange, in the background: extract durable memories and store them, replacing what they contradict
 * instead of piling up duplicates.
 *
 * <p>Replacement rule (a new memory supersedes the most similar live memory of the user when): a fact or event whose
 * text starts like the old one for at least {@link #SAME_SUBJECT} of the shorter text ("The user lives in Paris" →
 * "The user lives in Berlin"; "用户住在巴黎" → "用户住在柏林"); or a correction whose best match shares at least
 * {@link #CORRECTION_SUBJECT} of its beginning. Preferences accumulate (liking tea does not undo liking jazz). An
 * identical memory is not stored twice.
 */
public final class MemoryExtraction implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MemoryExtraction.class);
    static final double SAME_SUBJECT = 0.6;
    static final double CORRECTION_SUBJECT = 0.4;

    private final MemoryExtractor extractor;
    private final Supplier<MemoryService> memory;
    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "memory-extraction");
        t.setDaemon(true);
        return t;
    });
    private final AtomicInteger pending = new AtomicInteger();

    public MemoryExtraction(MemoryExtractor extractor, Supplier<MemoryService> memory) {
        this.extractor = extractor;
        this.memory = memory;
    }

    /** Queues extraction of the exchange; returns at once. Failures are logged, never shown to the chat. */
    public void submit(long userId, Message user, Message answer) {
        pending.incrementAndGet();
        worker.execute(() -> {
            try {
                remember(userId, user, answer);
            } catch (RuntimeException e) {
                log.warn("Memory extraction after message {} failed: {}", answer.id(), e.getMessage());
            } finally {
                pending.decrementAndGet();
            }
        });
    }

    /** Extracts and stores now; returns the memories stored (new or replacing). */
    public List<Memory> remember(long userId, Message user, Message answer) {
        List<ExtractedMemory> found = extractor.extract(List.of(ChatTurn.user(user.content()), ChatTurn.assistant(answer.content())));
        List<Memory> stored = new ArrayList<>();
        for (ExtractedMemory m : found) store(userId, m, user.id()).ifPresent(stored::add);
        return stored;
    }

    /** Stores one extracted memory by the replacement rule; empty when it was already known. */
    public Optional<Memory> store(long userId, ExtractedMemory m, Long sourceMessageId) {
        MemoryService service = memory.get();
        String text = m.text().strip();
        if (text.isEmpty()) return Optional.empty();
        // pinned memories come back whatever the query; only real matches can be duplicates or be replaced
        List<RetrievedMemory> near = service.retrieve(userId, text, 3).stream()
                .filter(r -> r.keywordRank() > 0 || r.vectorRank() > 0).toList();
        for (RetrievedMemory r : near) {
            if (normalize(r.memory().text()).equals(normalize(text))) return Optional.empty();
        }
        for (RetrievedMemory r : near) {
            Memory old = r.memory();
            double shared = sharedBeginning(old.text(), text);
            boolean sameSubject = (m.kind() == MemoryKind.FACT || m.kind() == MemoryKind.EVENT)
                    && old.kind() == m.kind() && shared >= SAME_SUBJECT;
            boolean corrects = m.kind() == MemoryKind.CORRECTION && shared >= CORRECTION_SUBJECT;
            if (sameSubject || corrects) {
                return Optional.of(service.supersede(userId, old.id(), m.kind(), text, sourceMessageId));
            }
        }
        return Optional.of(service.add(userId, m.kind(), text, sourceMessageId));
    }

    /** For tests and shutdown: waits until queued extractions are done. */
    public boolean awaitIdle(Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (pending.get() > 0) {
            if (System.nanoTime() > end) return false;
            Thread.sleep(20);
        }
        return true;
    }

    @Override
    public void close() {
        worker.shutdown();
        try {
            worker.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public static String normalize(String s) {
        String n = Normalizer.normalize(s, Normalizer.Form.NFKC).toLowerCase(Locale.ROOT).strip();
        return n.replaceAll("[\\p{Punct}。，！？、\\s]+$", "").replaceAll("\\s+", " ");
    }

    /** Length of the common beginning of the two normalised texts, over the shorter one's length. */
    static double sharedBeginning(String a, String b) {
        String x = normalize(a), y = normalize(b);
        int n = Math.min(x.length(), y.length());
        if (n == 0) return 0;
        int i = 0;
        while (i < n && x.charAt(i) == y.charAt(i)) i++;
        return (double) i / n;
    }
}
