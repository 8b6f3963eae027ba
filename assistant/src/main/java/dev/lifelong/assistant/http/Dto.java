package dev.lifelong.assistant.http;

import dev.lifelong.memory.Conversation;
import dev.lifelong.memory.Memory;
import dev.lifelong.memory.Message;
import dev.lifelong.memory.MessageHit;
import dev.lifelong.memory.retrieval.RetrievedMemory;

import java.util.LinkedHashMap;
import java.util.Map;

/** The JSON shapes of docs/http-api.md. */
final class Dto {
    private Dto() {}

    static Map<String, Object> conversation(Conversation c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", c.id());
        m.put("title", c.title());
        m.put("createdAt", c.createdAt().toString());
        m.put("updatedAt", c.updatedAt().toString());
        m.put("private", c.isPrivate());
        return m;
    }

    static Map<String, Object> message(Message msg) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", msg.id());
        m.put("conversationId", msg.conversationId());
        m.put("role", msg.role().wireName());
        m.put("content", msg.content());
        m.put("status", msg.status().wireName());
        m.put("createdAt", msg.createdAt().toString());
        return m;
    }

    static Map<String, Object> memory(Memory mem) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", mem.id());
        m.put("kind", mem.kind().wireName());
        m.put("text", mem.text());
        m.put("pinned", mem.pinned());
        m.put("sourceMessageId", mem.sourceMessageId());
        m.put("supersededBy", mem.supersededBy());
        m.put("createdAt", mem.createdAt().toString());
        m.put("updatedAt", mem.updatedAt().toString());
        return m;
    }

    static Map<String, Object> retrieved(RetrievedMemory r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("memory", memory(r.memory()));
        m.put("score", r.score());
        m.put("keywordRank", r.keywordRank() == 0 ? null : r.keywordRank());
        m.put("vectorRank", r.vectorRank() == 0 ? null : r.vectorRank());
        m.put("pinned", r.pinned());
        return m;
    }

    static Map<String, Object> messageHit(MessageHit h) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("message", message(h.message()));
        m.put("conversationTitle", h.conversationTitle());
        m.put("snippet", h.snippet());
        return m;
    }

    static Map<String, Object> error(String type, String code, String message) {
        return error(type, code, message, null);
    }

    /** OpenAI's error shape; {@code param} (the request field at fault) only when there is one. */
    static Map<String, Object> error(String type, String code, String message, String param) {
        Map<String, Object> inner = new LinkedHashMap<>();
        inner.put("message", message);
        inner.put("type", type);
        inner.put("code", code);
        if (param != null) inner.put("param", param);
        return Map.of("error", inner);
    }
}
