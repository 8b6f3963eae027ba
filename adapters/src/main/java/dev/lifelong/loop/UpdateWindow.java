package dev.lifelong.loop;

import java.time.LocalTime;
import java.time.format.DateTimeParseException;

/** A daily window in local time, "02:00-06:00"; it may wrap past midnight ("23:00-05:00"). */
public record UpdateWindow(LocalTime start, LocalTime end) {
    public static final UpdateWindow DEFAULT = new UpdateWindow(LocalTime.of(2, 0), LocalTime.of(6, 0));

    public UpdateWindow {
        if (start.equals(end)) throw new IllegalArgumentException("an update window must not be empty");
    }

    /** @throws IllegalArgumentException with the expected format when {@code text} is not "HH:MM-HH:MM" */
    public static UpdateWindow parse(String text) {
        String[] parts = text == null ? new String[0] : text.strip().split("-");
        try {
            if (parts.length == 2) return new UpdateWindow(LocalTime.parse(parts[0].strip()), LocalTime.parse(parts[1].strip()));
        } catch (DateTimeParseException e) {
            // fall through to the message below
        }
        throw new IllegalArgumentException("an update window is written HH:MM-HH:MM in local time (e.g. 02:00-06:00), not '" + text + "'");
    }

    public boolean contains(LocalTime t) {
        return start.isBefore(end) ? !t.isBefore(start) && t.isBefore(end) : !t.isBefore(start) || t.isBefore(end);
    }

    @Override
    public String toString() {
        return start + "-" + end;
    }
}
