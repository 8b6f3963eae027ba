package dev.lifelong.assistant.auth;

import dev.lifelong.memory.Accounts;

/**
 * Who sent a request: a signed-in browser (session, with the CSRF token it must echo) or a program with an API key
 * (with that key's memory switch).
 */
public record Caller(long userId, String name, Accounts.Role role, Via via, Long keyId, boolean keyMemory, String csrfToken) {
    public enum Via { SESSION, API_KEY }

    public boolean isOwner() { return role == Accounts.Role.OWNER; }
}
