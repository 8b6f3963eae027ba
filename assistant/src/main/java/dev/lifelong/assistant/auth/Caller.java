package dev.lifelong.assistant.auth;

import dev.lifelong.memory.Accounts;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Who sent a request: a signed-in browser (session, with the CSRF token it must echo) or a program with an API key.
 *
 * @param keyId       the API key used, or for a session the key it was signed in with (null: a password)
 * @param keyMemory   the key's memory switch (true for a session); a key with memory off may only chat (/v1)
 * @param signedInAt  for a session: when its sign-in happened (epoch ms); 0 for an API key
 * @param sequence    the order in which callers were authenticated, so that credentials ended after this caller was
 *                    checked still end what it starts (see {@link LiveRequests})
 */
public record Caller(long userId, String name, Accounts.Role role, Via via, Long keyId, boolean keyMemory, String csrfToken,
        long signedInAt, long sequence) {
    public enum Via { SESSION, API_KEY }

    private static final AtomicLong SEQUENCE = new AtomicLong();

    static long nextSequence() { return SEQUENCE.incrementAndGet(); }

    public boolean isOwner() { return role == Accounts.Role.OWNER; }

    /** A key whose memory is off is for chatting only: it may not read or change the user's memory, keys or data. */
    public boolean chatOnly() { return via == Via.API_KEY && !keyMemory; }
}
