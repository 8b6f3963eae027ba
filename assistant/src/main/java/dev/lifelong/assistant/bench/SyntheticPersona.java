package dev.lifelong.assistant.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A synthetic user for the learning benchmark, deterministic per seed: facts about themselves told over simulated days
 * (name, city, pet, job, project, birthday month, sister, drink, sport, car), later updates that contradict earlier
 * facts (the new value must win), a stated preference for short answers, and distractors (small talk, facts about
 * friends). Every message is written from templates; no model is needed to write them.
 */
final class SyntheticPersona {
    /** One fact slot: how the user says it, how the memory page stores it, and the values it draws from. */
    private record Slot(String id, String[] said, String memory, String[] values) {
    }

    private static final List<Slot> SLOTS = List.of(
            new Slot("name", new String[] {"My name is %s.", "Call me %s, that's my name.", "I'm %s, by the way."}, "The user's name is %s.",
                    new String[] {"Mara", "Jonas", "Ines", "Felix", "Nora", "Oskar", "Liv", "Tariq", "Elif", "Bruno"}),
            new Slot("city", new String[] {"I live in %s.", "Home for me is %s these days.", "I'm based in %s."}, "The user lives in %s.",
                    new String[] {"Lyon", "Porto", "Oslo", "Kyoto", "Denver", "Graz", "Leeds", "Turin", "Malmo", "Ghent"}),
            new Slot("pet", new String[] {"My cat is called %s.", "I have a cat named %s.", "%s is the name of my cat."}, "The user's cat is called %s.",
                    new String[] {"Momo", "Pixel", "Tiger", "Olive", "Nemo", "Biscuit", "Luna", "Pepper"}),
            new Slot("job", new String[] {"I work as a %s.", "By profession I am a %s.", "My job: %s."}, "The user works as a %s.",
                    new String[] {"nurse", "pilot", "carpenter", "teacher", "chemist", "baker", "librarian", "dentist"}),
            new Slot("project", new String[] {"I'm working on a project called %s.", "My current project is named %s."}, "The user's project is called %s.",
                    new String[] {"Falcon", "Bluebird", "Atlas", "Quill", "Meadow", "Orbit"}),
            new Slot("birthday", new String[] {"My birthday is in %s.", "I was born in %s."}, "The user's birthday is in %s.",
                    new String[] {"March", "July", "October", "January", "May", "September"}),
            new Slot("sister", new String[] {"My sister is called %s.", "I have a sister named %s."}, "The user's sister is called %s.",
                    new String[] {"Lea", "Anna", "Rosa", "Yuki", "Clara", "Ida"}),
            new Slot("drink", new String[] {"My favourite drink is %s.", "I always drink %s."}, "The user's favourite drink is %s.",
                    new String[] {"green tea", "espresso", "lemonade", "rooibos", "cocoa"}),
            new Slot("sport", new String[] {"I play %s every week.", "My sport is %s."}, "The user plays %s.",
                    new String[] {"tennis", "chess", "hockey", "volleyball", "squash"}),
            new Slot("car", new String[] {"I drive a %s.", "My car is a %s."}, "The user drives a %s.",
                    new String[] {"Volvo", "Fiat", "Skoda", "Mazda", "Renault"}));

    private static final String[] SMALL_TALK = {"How are you today?", "Any tips for a rainy afternoon?", "Tell me something cheerful.",
            "What is a good way to start the morning?", "Can you suggest a name for a plant?", "What should I cook tonight?",
            "Say something nice.", "How do I stay focused?"};
    private static final String[] FRIENDS = {"My friend Tom lives in Madrid.", "My colleague Sara has a dog called Rex.",
            "My neighbour works as a pilot.", "My friend's sister is called Maja."};
    static final String[] OPEN_QUESTIONS = {"Tell me about the ocean.", "What makes a good breakfast?", "Describe a walk in the park.",
            "How do trains work?", "What is your favourite season and why?"};

    /**
     * A question about a slot worded the way people ask, and deliberately none of the wordings the nightly update
     * trains on (FactVariants' templates): closed-book accuracy on these measures whether a fact generalises.
     */
    static String naturalQuestion(String slot) {
        return switch (slot) {
            case "name" -> "Do you know what I'm called?";
            case "city" -> "In which town do I live these days?";
            case "pet" -> "My cat, what's its name again?";
            case "job" -> "What's my profession?";
            case "project" -> "Remind me of the name of my current project.";
            case "birthday" -> "When is my birthday?";
            case "sister" -> "Who is my sister?";
            case "drink" -> "What do I like to drink most?";
            case "sport" -> "Which sport do I play every week?";
            case "car" -> "Which car brand do I drive?";
            default -> throw new IllegalArgumentException("no question for slot " + slot);
        };
    }

    /** A fact as the user states it in chat, and as the memory page stores it. */
    record Fact(String slot, String value, String said, String memory, int day, boolean update) {
    }

    /** What happens on one simulated day. */
    record Day(int index, List<String> messages, List<Fact> facts) {
    }

    final List<Day> days;
    final String preference = "Please keep your answers short.";

    SyntheticPersona(long seed, int dayCount, int factsPerDay, int updatesFrom) {
        SplittableRandom r = new SplittableRandom(seed);
        Map<String, String> current = new LinkedHashMap<>();
        List<Slot> unused = new ArrayList<>(SLOTS);
        List<Day> out = new ArrayList<>();
        for (int d = 0; d < dayCount; d++) {
            List<String> messages = new ArrayList<>();
            List<Fact> facts = new ArrayList<>();
            if (d == 0) messages.add(preference);
            for (int k = 0; k < factsPerDay && !unused.isEmpty(); k++) {
                Slot s = unused.remove(r.nextInt(unused.size()));
                facts.add(fact(s, s.values()[r.nextInt(s.values().length)], d, false, r));
            }
            if (d >= updatesFrom && !current.isEmpty()) {
                // one earlier fact changes: the new value must win from now on
                List<String> told = new ArrayList<>(current.keySet());
                String id = told.get(r.nextInt(told.size()));
                Slot s = SLOTS.stream().filter(x -> x.id().equals(id)).findFirst().orElseThrow();
                String value;
                do {
                    value = s.values()[r.nextInt(s.values().length)];
                } while (value.equals(current.get(id)));
                facts.add(fact(s, value, d, true, r));
            }
            for (Fact f : facts) {
                current.put(f.slot(), f.value());
                messages.add(f.said());
            }
            messages.add(SMALL_TALK[r.nextInt(SMALL_TALK.length)]);
            messages.add(FRIENDS[r.nextInt(FRIENDS.length)]);
            java.util.Collections.shuffle(messages.subList(d == 0 ? 1 : 0, messages.size()), new java.util.Random(r.nextLong()));
            out.add(new Day(d, messages, facts));
        }
        days = List.copyOf(out);
    }

    private static Fact fact(Slot s, String value, int day, boolean update, SplittableRandom r) {
        String said = String.format(s.said()[r.nextInt(s.said().length)], value);
        if (update) said = "Update: " + said;
        return new Fact(s.id(), value, said, String.format(s.memory(), value), day, update);
    }

    /** The facts still true after day {@code lastDay}, grouped by the day they were (last) told. */
    List<List<Fact>> currentFactsByDay(int lastDay) {
        Map<String, Fact> latest = new LinkedHashMap<>();
        for (Day d : days.subList(0, lastDay + 1)) for (Fact f : d.facts()) latest.put(f.slot(), f);
        List<List<Fact>> byDay = new ArrayList<>();
        for (int i = 0; i < days.size(); i++) byDay.add(new ArrayList<>());
        for (Fact f : latest.values()) byDay.get(f.day()).add(f);
        return byDay;
    }

    /** The memory this fact replaces (an update), if any, as of the day before. */
    Fact replaced(Fact update) {
        Fact before = null;
        for (Day d : days.subList(0, update.day())) for (Fact f : d.facts()) if (f.slot().equals(update.slot())) before = f;
        return before;
    }
}
