package dev.lifelong.assistant.http;

import dev.lifelong.memory.Conversation;
import dev.lifelong.memory.Message;

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

    static Map<String, Object> error(String type, String code, String message) {
        Map<String, Object> inner = new LinkedHashMap<>();
        inner.put("message", message);
        inner.put("type", type);
        inner.put("code", code);
        return Map.of("error", inner);
    }
}
