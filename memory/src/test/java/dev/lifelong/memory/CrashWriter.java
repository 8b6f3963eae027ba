package dev.lifelong.memory;

/**
 * Child-process main for {@link CrashSafetyTest}: appends messages to one conversation as fast as it can and prints
 * "id&lt;TAB&gt;content" only after append returned (i.e. after the commit), until it is killed.
 */
public final class CrashWriter {
    private CrashWriter() {
    }

    public static void main(String[] args) {
        Database db = Database.open(java.nio.file.Path.of(args[0]));
        Conversation conversation = db.conversations().create(Users.OWNER_ID, "crash test");
        Message generating = db.messages().append(conversation.id(), Role.ASSISTANT, "being written",
                MessageStatus.GENERATING);
        System.out.println("generating\t" + generating.id());
        System.out.flush();
        for (long i = 0; ; i++) {
            String content = "message " + i + " ✓ 消息";
            Message m = db.messages().append(conversation.id(), Role.USER, content, MessageStatus.COMPLETE);
            System.out.println(m.id() + "\t" + content);
            System.out.flush();
        }
    }
}
