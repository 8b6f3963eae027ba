/**
 * Lifelong's storage: one SQLite file holding users, conversations and messages.
 *
 * <p>Typical use by the server:
 * <pre>{@code
 * Database db = Database.open(dataDir.resolve("lifelong.db"));   // migrates; refuses newer/foreign files
 * db.messages().markInterrupted();                               // once, before serving
 * Conversation c = db.conversations().create(Users.OWNER_ID, "New chat");
 * db.messages().append(c.id(), Role.USER, prompt, MessageStatus.COMPLETE);
 * Message answer = db.messages().append(c.id(), Role.ASSISTANT, "", MessageStatus.GENERATING);
 * db.messages().finish(answer.id(), text, MessageStatus.COMPLETE); // or PARTIAL when stopped, ERROR on failure
 * }</pre>
 * Every method is thread-safe, and a write is durable when it returns. Failures of the database itself are
 * {@link dev.lifelong.memory.StorageException}; bad arguments are {@link java.lang.IllegalArgumentException}.
 * See docs/decisions/002-storage.md.
 */
package dev.lifelong.memory;
