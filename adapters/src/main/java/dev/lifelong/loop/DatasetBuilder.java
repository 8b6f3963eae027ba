package dev.lifelong.loop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifelong.lora.data.ChatExample;
import dev.lifelong.lora.data.Turn;
import dev.lifelong.memory.Conversation;
import dev.lifelong.memory.Database;
import dev.lifelong.memory.FeedbackStore;
import dev.lifelong.memory.Memory;
import dev.lifelong.memory.MemoryKind;
import dev.lifelong.memory.Message;
import dev.lifelong.memory.MessageStatus;
import dev.lifelong.memory.Role;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Turns a user's stored interactions into curated training examples. The data stream is noisy, so each answer passes
 * these rules, counted in a {@link CurationReport}: answers in private conversations, exchanges a deleted or forgotten
 * memory came from, error/empty/interrupted answers, answers rated down without a correction, and near-duplicates are
 * left out; a corrected answer is replaced by its correction (weighted {@link FeedbackStore#CORRECTION_WEIGHT}×).
 * Conversations the user deleted are gone from the database and so from every dataset. Live memories become
 * closed-book fact examples, so the adapter learns what the user told it and an updated fact replaces the old one.
 */
public final class DatasetBuilder {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Two examples with at least this share of the same character trigrams count as one. */
    static final double NEAR_DUPLICATE_JACCARD = 0.9;
    private static final int MAX_PAIRWISE = 3000;
    public static final int MAX_FACTS = 200;

    private final Database db;
    private final String systemPrompt;

    /** @param systemPrompt the system message serving starts every prompt with (training matches serving), or null */
    public DatasetBuilder(Database db, String systemPrompt) {
        this.db = db;
        this.systemPrompt = systemPrompt == null || systemPrompt.isBlank() ? null : systemPrompt;
    }

    /** Examples made from answers with {@code after < id <= until}, plus their corrections; facts not included. */
    public Curated interactions(long userId, long after, long until) {
        CurationReport report = new CurationReport();
        Set<Long> retired = new HashSet<>(db.memories().retiredSourceMessages(userId));
        FeedbackStore feedback = new FeedbackStore(db);
        Map<Long, FeedbackStore.Verdict> verdicts = feedback.verdicts(userId);
        Set<Long> privateMessages = new HashSet<>();
        Set<Long> userMessages = new HashSet<>();
        List<DatasetExample> out = new ArrayList<>();
        List<String> keys = new ArrayList<>();
        List<Conversation> conversations = new ArrayList<>(db.conversations().list(userId));
        conversations.sort(java.util.Comparator.comparingLong(Conversation::id));
        for (Conversation c : conversations) {
            List<Message> messages = db.messages().list(c.id());
            for (int i = 0; i < messages.size(); i++) {
                Message m = messages.get(i);
                userMessages.add(m.id());
                if (c.isPrivate()) privateMessages.add(m.id());
                if (m.role() != Role.ASSISTANT || m.id() <= after || m.id() > until) continue;
                report.add(CurationReport.ANSWERS);
                Message question = i > 0 && messages.get(i - 1).role() == Role.USER ? messages.get(i - 1) : null;
                FeedbackStore.Verdict verdict = verdicts.get(m.id());
                if (c.isPrivate()) {
                    report.add(CurationReport.PRIVATE);
                } else if (question == null) {
                    report.add(CurationReport.NO_QUESTION);
                } else if (retired.contains(m.id()) || retired.contains(question.id())) {
                    report.add(CurationReport.RETIRED_MEMORY);
                } else if (m.status() != MessageStatus.COMPLETE || m.content().isBlank() || question.content().isBlank()) {
                    report.add(CurationReport.ERROR_OR_EMPTY);
                } else if (verdict != null && verdict.corrected()) {
                    report.add(CurationReport.CORRECTED);
                } else if (verdict != null && verdict.wrong()) {
                    report.add(CurationReport.RATED_DOWN);
                } else {
                    String key = normalize(question.content()) + "\u0001" + normalize(m.content());
                    if (isNearDuplicate(key, keys)) {
                        report.add(CurationReport.NEAR_DUPLICATE);
                    } else {
                        keys.add(key);
                        out.add(new DatasetExample(chat(question.content(), m.content(), 1.0), DatasetExample.Kind.TURN, m.id(), m.createdAt()));
                        report.add(CurationReport.KEPT_TURNS);
                    }
                }
            }
        }
        for (FeedbackStore.TrainingExample e : feedback.examples(userId)) {
            if (!e.kind().equals("correction")) continue;
            if (e.sourceMessageId() == null || !userMessages.contains(e.sourceMessageId())) {
                if (e.sourceMessageId() == null) report.add(CurationReport.DELETED_SOURCE);
                continue;
            }
            long source = e.sourceMessageId();
            if (source <= after || source > until) continue;
            if (privateMessages.contains(source) || retired.contains(source)) continue;
            Message answer = db.messages().find(source).orElse(null);
            out.add(new DatasetExample(correction(e.messagesJson(), e.weight()), DatasetExample.Kind.CORRECTION, source,
                    answer == null ? java.time.Instant.EPOCH : answer.createdAt()));
            report.add(CurationReport.CORRECTIONS);
        }
        return new Curated(out, report);
    }

    /** The user's live memories (newest {@value #MAX_FACTS}) as closed-book question/answer examples. */
    public List<DatasetExample> facts(long userId, CurationReport report) {
        List<DatasetExample> out = new ArrayList<>();
        for (Memory m : db.memories().list(userId, false, MAX_FACTS, 0)) {
            if (!m.live() || m.kind() == MemoryKind.CORRECTION) continue;
            FactProbe p = FactProbe.of(m.text());
            if (p == null) continue;
            out.add(new DatasetExample(chat(p.question(), p.answer(), 1.0), DatasetExample.Kind.FACT, null, m.createdAt()));
            if (report != null) report.add(CurationReport.FACTS);
        }
        return out;
    }

    /**
     * Each live memory in several wordings ({@link FactVariants}): natural questions and answers, the fact inside a
     * longer answer, and the closed-book cue; counted as {@link CurationReport#FACT_VARIANTS}.
     */
    public List<DatasetExample> factVariants(long userId, CurationReport report) {
        List<DatasetExample> out = new ArrayList<>();
        for (Memory m : db.memories().list(userId, false, MAX_FACTS, 0)) {
            if (!m.live() || m.kind() == MemoryKind.CORRECTION) continue;
            for (FactVariants.Pair p : FactVariants.of(m.text())) {
                out.add(new DatasetExample(chat(p.question(), p.answer(), 1.0), DatasetExample.Kind.FACT, null, m.createdAt()));
                if (report != null) report.add(CurationReport.FACT_VARIANTS);
            }
        }
        return out;
    }

    /** Examples and the counts of the rules that made them. */
    public record Curated(List<DatasetExample> examples, CurationReport report) {
    }

    ChatExample chat(String user, String assistant, double weight) {
        List<Turn> turns = new ArrayList<>();
        if (systemPrompt != null) turns.add(Turn.system(systemPrompt));
        turns.add(Turn.user(user));
        turns.add(Turn.assistant(assistant));
        return new ChatExample(turns, weight);
    }

    private ChatExample correction(String messagesJson, double weight) {
        try {
            JsonNode arr = JSON.readTree(messagesJson);
            List<Turn> turns = new ArrayList<>();
            if (systemPrompt != null) turns.add(Turn.system(systemPrompt));
            for (JsonNode n : arr) {
                String role = n.path("role").asText();
                if (role.equals("system")) continue;
                turns.add(new Turn(role, n.path("content").asText()));
            }
            // Only the corrected answer should be learned: earlier answers stay as context but drop out of the loss
            // by keeping just the last question before it.
            int last = turns.size() - 1;
            int question = last - 1;
            while (question >= 0 && !turns.get(question).role().equals("user")) question--;
            List<Turn> kept = new ArrayList<>();
            if (systemPrompt != null) kept.add(turns.get(0));
            if (question >= 0) kept.add(turns.get(question));
            kept.add(turns.get(last));
            return new ChatExample(kept, weight);
        } catch (IOException e) {
            throw new UncheckedIOException("a stored correction is not valid JSON", e);
        }
    }

    static String normalize(String s) {
        String n = Normalizer.normalize(s, Normalizer.Form.NFKC).toLowerCase(Locale.ROOT);
        StringBuilder b = new StringBuilder(n.length());
        boolean space = false;
        for (int i = 0; i < n.length(); ) {
            int cp = n.codePointAt(i);
            i += Character.charCount(cp);
            if (Character.isLetterOrDigit(cp)) {
                b.appendCodePoint(cp);
                space = false;
            } else if (!space && b.length() > 0) {
                b.append(' ');
                space = true;
            }
        }
        return b.toString().strip();
    }

    static boolean isNearDuplicate(String key, List<String> kept) {
        if (kept.contains(key)) return true;
        if (kept.size() > MAX_PAIRWISE) return false;
        Set<String> grams = trigrams(key);
        for (String other : kept) {
            int lenA = key.length();
            int lenB = other.length();
            if (Math.min(lenA, lenB) < NEAR_DUPLICATE_JACCARD * Math.max(lenA, lenB)) continue;
            if (jaccard(grams, trigrams(other)) >= NEAR_DUPLICATE_JACCARD) return true;
        }
        return false;
    }

    static Set<String> trigrams(String s) {
        Set<String> g = new HashSet<>();
        for (int i = 0; i + 3 <= s.length(); i++) g.add(s.substring(i, i + 3));
        if (g.isEmpty()) g.add(s);
        return g;
    }

    static double jaccard(Set<String> a, Set<String> b) {
        int inter = 0;
        for (String x : a) if (b.contains(x)) inter++;
        return (double) inter / (a.size() + b.size() - inter);
    }
}
