package dev.lifelong.assistant.chat;

import dev.lifelong.assistant.model.ModelManager;
import dev.lifelong.assistant.runtime.Cancellation;
import dev.lifelong.assistant.runtime.ChatTurn;
import dev.lifelong.assistant.runtime.GenerationOptions;
import dev.lifelong.assistant.runtime.GenerationResult;
import dev.lifelong.assistant.runtime.LlamaRuntime;
import dev.lifelong.memory.Conversation;
import dev.lifelong.memory.Database;
import dev.lifelong.memory.Message;
import dev.lifelong.memory.MessageStatus;
import dev.lifelong.memory.Role;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import dev.lifelong.memory.Memory;
import dev.lifelong.memory.MemoryStore;
import dev.lifelong.memory.retrieval.MemoryService;
import dev.lifelong.memory.retrieval.RetrievedMemory;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Conversations and streamed answers. The user's message is committed before generation starts; the answer row is
 * created as {@code generating} and finished as complete, partial (stopped) or error, so a crash or a Stop never
 * loses what was already said.
 */
public final class ChatService {
    private static final Logger log = LoggerFactory.getLogger(ChatService.class);
    public static final int MAX_MESSAGE_CHARS = 32_000;
    public static final int MAX_TITLE_CHARS = 200;
    static final String DEFAULT_TITLE = "New chat";

    private final Database db;
    private final ModelManager models;
    private final String systemPrompt;
    private final GenerationOptions generation;
    private final Map<Long, Cancellation> active = new ConcurrentHashMap<>();

    /** Memories recalled into each prompt (fewer when the context is short). */
    public static final int RECALLED_MEMORIES = 8;

    private final Supplier<MemoryService> memory;

    public ChatService(Database db, ModelManager models, String systemPrompt, GenerationOptions generation) {
        this(db, models, systemPrompt, generation, null);
    }

    /** @param memory the retrieval memory whose best matches go into every prompt, or null for none */
    public ChatService(Database db, ModelManager models, String systemPrompt, GenerationOptions generation,
            Supplier<MemoryService> memory) {
        this(db, models, systemPrompt, generation, memory, null);
    }

    private final dev.lifelong.assistant.memory.MemoryExtraction extraction;
    private final dev.lifelong.memory.UserSettings settings;

    /** @param extraction learns memories from each finished exchange in the background (per-user switch), or null */
    public ChatService(Database db, ModelManager models, String systemPrompt, GenerationOptions generation,
            Supplier<MemoryService> memory, dev.lifelong.assistant.memory.MemoryExtraction extraction) {
        this.db = db;
        this.models = models;
        this.systemPrompt = systemPrompt;
        this.generation = generation;
        this.memory = memory;
        this.extraction = extraction;
        this.settings = new dev.lifelong.memory.UserSettings(db);
        this.queue = new dev.lifelong.assistant.runtime.GenerationQueue(models.runtimeOptions().parallel());
    }

    private final dev.lifelong.assistant.runtime.GenerationQueue queue;
    private final java.util.concurrent.locks.ReentrantLock apiConversationLock = new java.util.concurrent.locks.ReentrantLock();

    /** Whose answer is generated next (fair between users); every answer of this service goes through it. */
    public dev.lifelong.assistant.runtime.GenerationQueue queue() { return queue; }

    /**
     * For the OpenAI-compatible API: generates through the fair queue with the place {@code ticket} took (see
     * {@link dev.lifelong.assistant.runtime.GenerationQueue}).
     */
    public GenerationResult generate(dev.lifelong.assistant.runtime.GenerationQueue.Ticket ticket,
            dev.lifelong.assistant.update.UserAdapters.Serving serving, List<ChatTurn> turns, GenerationOptions options,
            java.util.function.Consumer<String> onToken, Cancellation cancellation) {
        return ticket.generate(pieces -> serving.runtime().generate(turns, options, serving.adapter(), pieces, cancellation),
                onToken, cancellation);
    }

    public dev.lifelong.memory.UserSettings settings() { return settings; }

    private volatile dev.lifelong.assistant.update.UserAdapters adapters;
    private final java.util.concurrent.atomic.AtomicLong lastActivity = new java.util.concurrent.atomic.AtomicLong();
    /** The assistant counts as idle (nightly updates may start) this long after the last chat activity. */
    static final long IDLE_AFTER_MILLIS = 10 * 60_000;

    /** Whether no answer is being written and nobody chatted in the last {@value #IDLE_AFTER_MILLIS} ms. */
    public boolean idle() {
        return active.isEmpty() && System.currentTimeMillis() - lastActivity.get() > IDLE_AFTER_MILLIS;
    }

    /** Answers each user with their serving adapter from now on (the lifelong loop); without it, the base answers. */
    public void useAdapters(dev.lifelong.assistant.update.UserAdapters adapters) { this.adapters = adapters; }

    /** What answers this user now: their serving adapter, or the base model. */
    public dev.lifelong.assistant.update.UserAdapters.Serving servingFor(long userId, ModelManager.Loaded model) {
        lastActivity.set(System.currentTimeMillis());
        var a = adapters;
        return a == null ? new dev.lifelong.assistant.update.UserAdapters.Serving(model.runtime(), LlamaRuntime.BASE, null) : a.forUser(userId);
    }

    public List<Conversation> list(long userId) { return db.conversations().list(userId); }

    public Conversation create(long userId, String title) {
        return db.conversations().create(userId, title == null || title.isBlank() ? DEFAULT_TITLE : cleanTitle(title));
    }

    public Conversation rename(long userId, long id, String title) {
        if (title == null || title.isBlank()) throw new ChatException(ChatException.Kind.INVALID, "title must not be empty");
        return db.conversations().rename(userId, id, cleanTitle(title)).orElseThrow(() -> ChatException.notFound(id));
    }

    public void delete(long userId, long id) {
        // ownership first: another user's id must change nothing, not even stop the answer being written there
        conversation(userId, id);
        Cancellation c = active.get(id);
        if (c != null) c.cancel();
        if (!db.conversations().delete(userId, id)) throw ChatException.notFound(id);
    }

    public List<Message> messages(long userId, long id) {
        conversation(userId, id);
        return db.messages().list(id);
    }

    /** Sends a user message and streams the answer into {@code events}; blocks until the answer is finished. */
    public void send(long userId, long conversationId, String content, ChatEvents events) {
        send(userId, conversationId, content, events, new Cancellation());
    }

    /** As {@link #send(long, long, String, ChatEvents)}; {@code cancellation} also stops it (the request's credentials ended). */
    public void send(long userId, long conversationId, String content, ChatEvents events, Cancellation cancellation) {
        String text = validContent(content);
        Conversation conv = conversation(userId, conversationId);
        ModelManager.Loaded model = models.require();
        try (var ticket = queue.admit(userId)) {
            claim(conversationId, cancellation);
            try {
                Message user = db.messages().append(conversationId, Role.USER, text, MessageStatus.COMPLETE);
                if (conv.title() == null || conv.title().isBlank() || conv.title().equals(DEFAULT_TITLE)) {
                    db.conversations().rename(userId, conversationId, titleFrom(text));
                }
                events.user(user);
                answer(ticket, servingFor(userId, model), userId, conversationId, events, cancellation);
            } finally {
                active.remove(conversationId, cancellation);
            }
        }
    }

    /** Replaces the last answer with a new one. */
    public void regenerate(long userId, long conversationId, ChatEvents events) {
        regenerate(userId, conversationId, events, new Cancellation());
    }

    public void regenerate(long userId, long conversationId, ChatEvents events, Cancellation cancellation) {
        conversation(userId, conversationId);
        ModelManager.Loaded model = models.require();
        try (var ticket = queue.admit(userId)) {
            claim(conversationId, cancellation);
            try {
                List<Message> all = db.messages().list(conversationId);
                int lastUser = lastIndexOf(all, Role.USER);
                if (lastUser < 0) throw new ChatException(ChatException.Kind.INVALID, "there is no message to answer yet");
                if (lastUser + 1 < all.size()) db.messages().deleteFrom(conversationId, all.get(lastUser + 1).id());
                answer(ticket, servingFor(userId, model), userId, conversationId, events, cancellation);
            } finally {
                active.remove(conversationId, cancellation);
            }
        }
    }

    /** Replaces the last user message (and everything after it) with new text and answers it. */
    public void edit(long userId, long conversationId, String content, ChatEvents events) {
        edit(userId, conversationId, content, events, new Cancellation());
    }

    public void edit(long userId, long conversationId, String content, ChatEvents events, Cancellation cancellation) {
        String text = validContent(content);
        conversation(userId, conversationId);
        ModelManager.Loaded model = models.require();
        try (var ticket = queue.admit(userId)) {
            claim(conversationId, cancellation);
            try {
                List<Message> all = db.messages().list(conversationId);
                int lastUser = lastIndexOf(all, Role.USER);
                if (lastUser < 0) throw new ChatException(ChatException.Kind.INVALID, "there is no message to edit yet");
                db.messages().deleteFrom(conversationId, all.get(lastUser).id());
                Message user = db.messages().append(conversationId, Role.USER, text, MessageStatus.COMPLETE);
                events.user(user);
                answer(ticket, servingFor(userId, model), userId, conversationId, events, cancellation);
            } finally {
                active.remove(conversationId, cancellation);
            }
        }
    }

    /** Stops the answer being written in this conversation. @return whether one was running. */
    public boolean stop(long userId, long conversationId) {
        conversation(userId, conversationId);
        Cancellation c = active.get(conversationId);
        return c != null && c.cancel();
    }

    private void answer(dev.lifelong.assistant.runtime.GenerationQueue.Ticket ticket, dev.lifelong.assistant.update.UserAdapters.Serving serving,
            long userId, long conversationId, ChatEvents events, Cancellation cancellation) {
        LlamaRuntime runtime = serving.runtime();
        List<Message> history = db.messages().list(conversationId);
        Message draft = db.messages().append(conversationId, Role.ASSISTANT, "", MessageStatus.GENERATING);
        StringBuilder soFar = new StringBuilder();
        try {
            events.start(draft.id());
            List<Memory> recalled = recall(userId, history);
            PromptBuilder.Fitted fitted = PromptBuilder.fit(runtime, systemPrompt,
                    recalled.stream().map(Memory::text).toList(), history, generation.maxTokens());
            List<Memory> used = recalled.subList(0, fitted.memoriesUsed());
            if (!used.isEmpty()) db.memories().recordUse(draft.id(), used.stream().map(Memory::id).toList());
            events.memories(used);
            List<ChatTurn> turns = fitted.turns();
            GenerationResult result = ticket.generate(pieces -> runtime.generate(turns, generation, serving.adapter(), pieces, cancellation),
                    piece -> {
                        soFar.append(piece);
                        events.token(piece);
                    }, cancellation);
            MessageStatus status = result.finishReason() == GenerationResult.FinishReason.CANCELLED
                    ? MessageStatus.PARTIAL : MessageStatus.COMPLETE;
            Message done = db.messages().finish(draft.id(), result.text(), status);
            // the conversation is free once the answer is stored: a client that sends its next message as soon as it
            // reads "done" must not get a 409 (seen in the load benchmark)
            active.remove(conversationId, cancellation);
            events.done(done);
            if (extraction != null && status == MessageStatus.COMPLETE && settings.memoryExtraction(userId)) {
                Message asked = lastOf(history, Role.USER);
                if (asked != null) extraction.submit(userId, asked, done);
            }
        } catch (ClientGoneException e) {
            db.messages().finish(draft.id(), soFar.toString(), MessageStatus.PARTIAL);
            log.debug("Client left conversation {}; answer kept as partial", conversationId);
        } catch (RuntimeException e) {
            Message failed = db.messages().finish(draft.id(), soFar.toString(), MessageStatus.ERROR);
            log.warn("Answer in conversation {} failed: {}", conversationId, e.getMessage());
            try {
                events.error(failed, e);
            } catch (ClientGoneException ignored) {
                // nobody left to tell; the error status is stored
            }
        }
    }

    /** The memories most relevant to the latest user message (pinned first); none without a memory. */
    private List<Memory> recall(long userId, List<Message> history) {
        if (memory == null) return List.of();
        String query = null;
        for (int i = history.size() - 1; i >= 0 && query == null; i--) {
            if (history.get(i).role() == Role.USER) query = history.get(i).content();
        }
        if (query == null) return List.of();
        if (query.length() > MemoryStore.MAX_TEXT_CHARS) query = query.substring(query.length() - MemoryStore.MAX_TEXT_CHARS);
        // corrections made in this conversation come first, so the very next answer follows them
        List<Memory> out = new java.util.ArrayList<>(db.memories().correctionsIn(userId, history.get(0).conversationId(), 3));
        for (RetrievedMemory r : memory.get().retrieve(userId, query, RECALLED_MEMORIES)) {
            if (out.stream().noneMatch(m -> m.id() == r.memory().id())) out.add(r.memory());
        }
        return out;
    }

    /**
     * The user marks an answer wrong and says what is right: stored as feedback, as a training example that counts
     * {@link dev.lifelong.memory.FeedbackStore#CORRECTION_WEIGHT} times in the nightly update, and as a correction
     * memory (replacing what it corrects) that the next answer in the conversation is given first.
     *
     * @return the correction memory
     */
    public Memory correct(long userId, long answerId, String correction) {
        if (correction == null || correction.isBlank()) throw new ChatException(ChatException.Kind.INVALID, "correction must not be empty");
        if (correction.length() > MemoryStore.MAX_TEXT_CHARS) {
            throw new ChatException(ChatException.Kind.INVALID, "correction must be at most " + MemoryStore.MAX_TEXT_CHARS + " characters");
        }
        if (memory == null) throw new ChatException(ChatException.Kind.INVALID, "memory is not available");
        Message answer = ownMessage(userId, answerId);
        if (answer.role() != Role.ASSISTANT) throw new ChatException(ChatException.Kind.INVALID, "only answers can be corrected");
        List<Message> before = db.messages().list(answer.conversationId()).stream().filter(m -> m.id() < answerId).toList();
        Message question = lastOf(before, Role.USER);
        com.fasterxml.jackson.databind.node.ArrayNode turns = JSON.createArrayNode();
        for (ChatTurn t : turnsOf(before)) turns.addObject().put("role", t.role()).put("content", t.content());
        turns.addObject().put("role", "assistant").put("content", correction.strip());
        new dev.lifelong.memory.FeedbackStore(db).correct(userId, answerId, correction, turns.toString());
        dev.lifelong.assistant.memory.ExtractedMemory m =
                new dev.lifelong.assistant.memory.ExtractedMemory(dev.lifelong.memory.MemoryKind.CORRECTION, correction.strip());
        Long source = question == null ? null : question.id();
        if (extraction == null) return memory.get().add(userId, m.kind(), m.text(), source);
        Optional<Memory> stored = extraction.store(userId, m, source);
        if (stored.isPresent()) return stored.get();
        // told the same correction before: that memory stands
        String same = dev.lifelong.assistant.memory.MemoryExtraction.normalize(m.text());
        return memory.get().retrieve(userId, m.text(), 3).stream().map(RetrievedMemory::memory)
                .filter(x -> dev.lifelong.assistant.memory.MemoryExtraction.normalize(x.text()).equals(same)).findFirst()
                .orElseGet(() -> memory.get().add(userId, m.kind(), m.text(), source));
    }

    /**
     * A new title and/or the private flag (null: unchanged), validated first and applied in one transaction, so that a
     * bad field changes nothing.
     */
    public Conversation update(long userId, long id, String title, Boolean isPrivate) {
        if (title != null && title.isBlank()) throw new ChatException(ChatException.Kind.INVALID, "title must not be empty");
        return db.conversations().update(userId, id, title == null ? null : cleanTitle(title), isPrivate)
                .orElseThrow(() -> ChatException.notFound(id));
    }

    /** Marks the user's conversation private (never trained on) or not. */
    public Conversation setPrivate(long userId, long id, boolean isPrivate) {
        return db.conversations().setPrivate(userId, id, isPrivate).orElseThrow(() -> ChatException.notFound(id));
    }

    /** Thumbs up or down on one of the user's answers; an answer rated down (and not corrected) is not trained on. */
    public void rate(long userId, long answerId, boolean good) {
        Message answer = ownMessage(userId, answerId);
        if (answer.role() != Role.ASSISTANT) throw new ChatException(ChatException.Kind.INVALID, "only answers can be rated");
        new dev.lifelong.memory.FeedbackStore(db).rate(userId, answerId, good);
    }

    /** Title of the conversation that collects a user's chats through the OpenAI-compatible API. */
    public static final String API_CONVERSATION_TITLE = "Chats through the API";

    /**
     * For the OpenAI-compatible API: the client's turns with the user's memories added to the system message (when
     * the user's API memory is on and the request did not opt out).
     */
    public List<ChatTurn> withMemories(long userId, LlamaRuntime runtime, List<ChatTurn> turns, int answerBudget, boolean requested) {
        if (memory == null || !requested || !settings.apiMemory(userId)) return turns;
        String query = null;
        for (ChatTurn t : turns) if (t.role().equals("user")) query = t.content();
        if (query == null || query.isBlank()) return turns;
        if (query.length() > MemoryStore.MAX_TEXT_CHARS) query = query.substring(query.length() - MemoryStore.MAX_TEXT_CHARS);
        List<String> recalled = memory.get().retrieve(userId, query, RECALLED_MEMORIES).stream().map(r -> r.memory().text()).toList();
        if (recalled.isEmpty()) return turns;
        return PromptBuilder.addMemories(runtime, turns, recalled, answerBudget).turns();
    }

    /**
     * For the OpenAI-compatible API: stores the exchange in the user's "Chats through the API" conversation (searchable,
     * part of the nightly update) and learns memories from it, as a chat in the UI would.
     */
    public void rememberApiExchange(long userId, String question, String answer, boolean requested) {
        if (!requested || !settings.apiMemory(userId) || answer == null || answer.isBlank()) return;
        long conversationId;
        apiConversationLock.lock(); // a lock, not synchronized: a virtual thread waiting here must not pin its carrier
        try {
            conversationId = settings.apiConversation(userId)
                    .filter(id -> db.conversations().find(userId, id).isPresent())
                    .orElseGet(() -> {
                        long id = db.conversations().create(userId, API_CONVERSATION_TITLE).id();
                        settings.setApiConversation(userId, id);
                        return id;
                    });
        } finally {
            apiConversationLock.unlock();
        }
        Message asked = db.messages().append(conversationId, Role.USER, question, MessageStatus.COMPLETE);
        Message answered = db.messages().append(conversationId, Role.ASSISTANT, answer, MessageStatus.COMPLETE);
        if (extraction != null && settings.memoryExtraction(userId)) extraction.submit(userId, asked, answered);
    }

    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    /** The memories the prompt of that answer contained, as they are now (deleted ones left out). */
    public List<Memory> memoriesUsed(long userId, long messageId) {
        ownMessage(userId, messageId);
        return db.memories().usedBy(userId, messageId);
    }

    /**
     * The user's message {@code messageId}. Another user's message is "not found" with the very same error as a missing
     * one (code and text), so that ids cannot be probed across users.
     */
    private Message ownMessage(long userId, long messageId) {
        return db.messages().find(messageId)
                .filter(m -> db.conversations().find(userId, m.conversationId()).isPresent())
                .orElseThrow(() -> ChatException.messageNotFound(messageId));
    }

    private void claim(long conversationId, Cancellation c) {
        if (active.putIfAbsent(conversationId, c) != null) {
            throw new ChatException(ChatException.Kind.CONFLICT,
                    "an answer is still being written in this conversation; stop it first");
        }
    }

    private Conversation conversation(long userId, long id) {
        Optional<Conversation> c = db.conversations().find(userId, id);
        return c.orElseThrow(() -> ChatException.notFound(id));
    }

    private static Message lastOf(List<Message> messages, Role role) {
        int i = lastIndexOf(messages, role);
        return i < 0 ? null : messages.get(i);
    }

    private static int lastIndexOf(List<Message> messages, Role role) {
        for (int i = messages.size() - 1; i >= 0; i--) if (messages.get(i).role() == role) return i;
        return -1;
    }

    static String validContent(String content) {
        if (content == null || content.isBlank()) throw new ChatException(ChatException.Kind.INVALID, "message must not be empty");
        if (content.length() > MAX_MESSAGE_CHARS) {
            throw new ChatException(ChatException.Kind.INVALID, "message is " + content.length()
                    + " characters long; the limit is " + MAX_MESSAGE_CHARS);
        }
        return content;
    }

    static String cleanTitle(String title) {
        String t = title.strip().replaceAll("\\s+", " ");
        return t.length() > MAX_TITLE_CHARS ? t.substring(0, MAX_TITLE_CHARS) : t;
    }

    static String titleFrom(String firstMessage) {
        String t = firstMessage.strip().replaceAll("\\s+", " ");
        if (t.length() <= 60) return t;
        int cut = t.lastIndexOf(' ', 60);
        return (cut > 30 ? t.substring(0, cut) : t.substring(0, 60)) + "…";
    }

    /** For tests and status: answers being written right now. */
    public int activeAnswers() { return active.size(); }

    static List<ChatTurn> turnsOf(List<Message> history) {
        List<ChatTurn> turns = new ArrayList<>();
        for (Message m : history) {
            if (m.status() == MessageStatus.GENERATING) continue;
            if (m.status() == MessageStatus.ERROR && m.content().isBlank()) continue;
            if (m.role() == Role.USER) turns.add(ChatTurn.user(m.content()));
            else if (m.role() == Role.ASSISTANT) turns.add(ChatTurn.assistant(m.content()));
        }
        return turns;
    }
}
