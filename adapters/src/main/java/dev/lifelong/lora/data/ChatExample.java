package dev.lifelong.lora.data;

import java.util.List;

/**
 * One training conversation. The loss is taken on the assistant messages (and their end-of-turn markers), scaled by
 * {@code weight}.
 */
public record ChatExample(List<Turn> messages, double weight) {
    public ChatExample {
        messages = List.copyOf(messages);
        if (!(weight > 0) || !Double.isFinite(weight)) {
            throw new IllegalArgumentException("weight must be a finite number > 0, not " + weight);
        }
        if (messages.stream().noneMatch(t -> t.role().equals("assistant"))) {
            throw new IllegalArgumentException("an example needs at least one assistant message");
        }
        for (int i = 1; i < messages.size(); i++) {
            if (messages.get(i).role().equals("system")) {
                throw new IllegalArgumentException("only the first message may be a system message (message " + i + ")");
            }
        }
    }

    public ChatExample(List<Turn> messages) {
        this(messages, 1.0);
    }
}
