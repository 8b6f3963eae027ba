package dev.lifelong.seedling.corpus;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lifelong.lora.data.ChatExample;
import dev.lifelong.lora.data.Turn;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Generates the seedling's training corpus and its held-out evaluation set, deterministically from a seed: the same
 * seed and count give the same conversations (and, written out, the same bytes) on every machine. Only
 * {@link SplittableRandom}, lists and fixed-locale formatting are used.
 */
public final class CorpusGenerator {
    public static final String SYSTEM_EN = "You are Lifelong, a helpful personal assistant.";
    public static final String SYSTEM_ZH = "你是 Lifelong，一个乐于助人的个人助手。";
    public static final String KNOWN_EN = "Known about the user:";
    public static final String KNOWN_ZH = "已知用户信息：";
    /** Short on purpose: it precedes every extraction example, and the seedling trains on 2 cores. */
    public static final String EXTRACTION_SYSTEM_PROMPT = """
            Extract durable memories about the user from this conversation. Reply with ONLY JSON: \
            {"memories":[{"kind":"fact|preference|correction|event","text":"..."}]}. Each text is one short \
            sentence starting "The user" (Chinese: "用户"); kind is correction when the user corrects something. \
            Keep only what the user said about themselves; ignore questions and the assistant. \
            Nothing durable: {"memories":[]}.""";

    /** The kinds the held-out evaluation set covers, in rotation. */
    public static final List<Kind> EVAL_KINDS = List.of(Kind.MEMORY_QA, Kind.ABSTENTION, Kind.CORRECTION,
            Kind.EXTRACTION);

    private static final ObjectMapper JSON = new ObjectMapper();

    private final long seed;
    private final Map<Kind, Integer> weights;

    public CorpusGenerator(long seed) {
        this(seed, defaultMix());
    }

    /**
     * @param weights relative share of each kind in the training split (a kind left out is not generated); the
     *     evaluation split always rotates EVAL_KINDS
     */
    public CorpusGenerator(long seed, Map<Kind, Integer> weights) {
        int total = 0;
        for (var e : weights.entrySet()) {
            if (e.getValue() < 0) throw new IllegalArgumentException("weight of " + e.getKey() + " must be 0 or more");
            total += e.getValue();
        }
        if (total <= 0) throw new IllegalArgumentException("at least one kind needs a positive weight");
        this.seed = seed;
        this.weights = new java.util.EnumMap<>(weights);
    }

    /** The default training mix (Kind's weights). */
    public static Map<Kind, Integer> defaultMix() {
        Map<Kind, Integer> mix = new java.util.EnumMap<>(Kind.class);
        for (Kind k : Kind.values()) mix.put(k, k.weight);
        return mix;
    }

    /** Parses "ECHO=50,MEMORY_QA=50" (kinds left out get 0). */
    public static Map<Kind, Integer> parseMix(String spec) {
        Map<Kind, Integer> mix = new java.util.EnumMap<>(Kind.class);
        for (String part : spec.split(",")) {
            String[] kv = part.strip().split("=");
            if (kv.length != 2) throw new IllegalArgumentException("mix entries look like KIND=WEIGHT, not '" + part + "'");
            Kind kind;
            try {
                kind = Kind.valueOf(kv[0].strip().toUpperCase(java.util.Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown kind '" + kv[0].strip() + "'; kinds: " + java.util.Arrays.toString(Kind.values()));
            }
            try {
                mix.put(kind, Integer.parseInt(kv[1].strip()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("weight of " + kind + " must be a whole number, not '" + kv[1].strip() + "'");
            }
        }
        return mix;
    }

    public Map<Kind, Integer> mix() {
        return java.util.Collections.unmodifiableMap(weights);
    }

    public long seed() {
        return seed;
    }

    /** {@code count} conversations of the given split; training mixes all kinds, evaluation rotates EVAL_KINDS. */
    public List<GeneratedConversation> generate(Split split, int count) {
        if (count < 0) throw new IllegalArgumentException("count must be >= 0, not " + count);
        SplittableRandom root = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + (split == Split.EVAL ? 0x5851F42DL : 0));
        int total = 0;
        for (int w : weights.values()) total += w;
        List<GeneratedConversation> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            SplittableRandom rng = root.split();
            Language language = rng.nextInt(10) < 3 ? Language.ZH : Language.EN;
            Kind kind;
            if (split == Split.EVAL) {
                kind = EVAL_KINDS.get(i % EVAL_KINDS.size());
            } else {
                int r = rng.nextInt(total);
                kind = null;
                for (Kind k : Kind.values()) {
                    int w = weights.getOrDefault(k, 0);
                    if (r < w) {
                        kind = k;
                        break;
                    }
                    r -= w;
                }
            }
            out.add(new Builder(rng, split, language).build(kind));
        }
        return out;
    }

    public List<ChatExample> training(int count) {
        return generate(Split.TRAIN, count).stream().map(GeneratedConversation::example).toList();
    }

    public List<EvalCase> eval(int count) {
        List<GeneratedConversation> conversations = generate(Split.EVAL, count);
        List<EvalCase> out = new ArrayList<>(count);
        for (int i = 0; i < conversations.size(); i++) out.add(EvalCase.of("eval-" + seed + "-" + i, conversations.get(i)));
        return out;
    }

    private record Fact(Slot slot, String value) {
    }

    /** Builds one conversation; all randomness comes from its own split of the root generator. */
    private static final class Builder {
        private final SplittableRandom rng;
        private final Split split;
        private final Language lang;
        private final boolean zh;
        private final List<GeneratedConversation.Entity> entities = new ArrayList<>();
        private final List<Turn> turns = new ArrayList<>();

        Builder(SplittableRandom rng, Split split, Language lang) {
            this.rng = rng;
            this.split = split;
            this.lang = lang;
            this.zh = lang == Language.ZH;
        }

        GeneratedConversation build(Kind kind) {
            return switch (kind) {
                case GREETING -> greeting();
                case MEMORY_QA -> memoryQa();
                case ABSTENTION -> abstention();
                case TELL_FACT -> tellFact();
                case CORRECTION -> correction();
                case EXTRACTION -> extraction();
                case ANSWER_LENGTH -> answerLength();
                case ECHO -> echo();
                case RECALL -> recall();
            };
        }

        /** While set, facts get invented values (see {@link Kind#RECALL}). */
        private boolean invented;

        private GeneratedConversation recall() {
            invented = true;
            try {
                GeneratedConversation c = memoryQa();
                return done(Kind.RECALL, c.slot(), c.expected(), false);
            } finally {
                invented = false;
            }
        }

        private static final String[] SYLLABLES = {"ka", "zo", "mir", "tu", "vel", "qua", "ren", "bo", "lis", "dra", "fen",
                "gu", "hal", "ix", "jo", "nar", "pim", "sor", "tev", "ul", "wex", "yol", "zan", "cor"};

        /** A name nobody has: 2 to 3 random syllables, or a number; cannot be guessed, only copied. */
        private String inventedValue() {
            if (chance(25)) return Integer.toString(100 + rng.nextInt(9900));
            StringBuilder b = new StringBuilder();
            int n = 2 + rng.nextInt(2);
            for (int i = 0; i < n; i++) b.append(SYLLABLES[rng.nextInt(SYLLABLES.length)]);
            return Character.toUpperCase(b.charAt(0)) + b.substring(1);
        }

        // ---- helpers -------------------------------------------------------------------------------------------

        private <T> T pick(List<T> list) {
            return list.get(rng.nextInt(list.size()));
        }

        private boolean chance(int percent) {
            return rng.nextInt(100) < percent;
        }

        private Slot.Texts tx(Slot s) {
            return s.texts(lang);
        }

        private Fact fact(Slot slot) {
            Pools.Source source = tx(slot).source();
            String v = invented ? inventedValue() : source.draw(rng, split, lang);
            entities.add(new GeneratedConversation.Entity(source.category(), v));
            return new Fact(slot, v);
        }

        /** A fact of the same slot with a different value. */
        private Fact otherFact(Fact old) {
            for (int i = 0; i < 100; i++) {
                Fact f = fact(old.slot());
                if (!f.value().equals(old.value())) return f;
                entities.remove(entities.size() - 1);
            }
            throw new IllegalStateException("no other value for " + old.slot().id());
        }

        private Slot slotExcept(Set<String> used) {
            while (true) {
                Slot s = pick(Slot.ALL);
                if (!used.contains(s.id())) return s;
            }
        }

        /** {@code n} facts of distinct slots, none of them in {@code exclude}. */
        private List<Fact> facts(int n, Set<String> exclude) {
            Set<String> used = new HashSet<>(exclude);
            List<Fact> out = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                Slot s = slotExcept(used);
                used.add(s.id());
                out.add(fact(s));
            }
            return out;
        }

        /**
         * A fact of another slot with the same kind of value (brother for sister, cat for dog), or null if the
         * slot has no such neighbour or it is excluded: the hard distractor that forces reading the relation.
         */
        private Fact confuser(Slot target, Set<String> exclude) {
            List<Slot> near = new ArrayList<>();
            for (Slot s : Slot.ALL) {
                if (s != target && !exclude.contains(s.id())
                        && tx(s).source().category().equals(tx(target).source().category())) {
                    near.add(s);
                }
            }
            return near.isEmpty() ? null : fact(pick(near));
        }

        private static Set<String> ids(List<Fact> facts, Slot also) {
            Set<String> out = new HashSet<>();
            out.add(also.id());
            for (Fact f : facts) out.add(f.slot().id());
            return out;
        }

        private void shuffle(List<Fact> list) {
            for (int i = list.size() - 1; i > 0; i--) {
                int j = rng.nextInt(i + 1);
                Fact t = list.get(i);
                list.set(i, list.get(j));
                list.set(j, t);
            }
        }

        private String memory(Fact f) {
            return Slot.fill(tx(f.slot()).memory(), f.value());
        }

        private String answer(Fact f) {
            return Slot.fill(pick(tx(f.slot()).answers()), f.value());
        }

        private String tell(Fact f) {
            return Slot.fill(pick(tx(f.slot()).tells()), f.value());
        }

        private String question(Slot s) {
            return pick(tx(s).questions());
        }

        /** Adds the system prompt: the assistant line and, if there are facts, the memory block. */
        private void system(List<Fact> block) {
            boolean zhHeader = zh && chance(60);
            StringBuilder sb = new StringBuilder(zhHeader ? SYSTEM_ZH : SYSTEM_EN);
            if (!block.isEmpty()) {
                sb.append('\n').append(zh ? KNOWN_ZH : KNOWN_EN);
                for (Fact f : block) sb.append("\n- ").append(memory(f));
            }
            turns.add(Turn.system(sb.toString()));
        }

        private void say(String user, String assistant) {
            turns.add(Turn.user(user));
            turns.add(Turn.assistant(assistant));
        }

        private GeneratedConversation done(Kind kind, String slot, String expected, boolean abstains) {
            return new GeneratedConversation(kind, lang, new ChatExample(turns, 1.0), slot, expected, abstains,
                    entities);
        }

        /** Fills a frame: {A}/{Q} the sentence as is, {a}/{q} with its first letter lower-cased (English). */
        private static String frame(String frame, String sentence) {
            return frame.replace("{A}", sentence).replace("{Q}", sentence)
                    .replace("{a}", lowerFirst(sentence)).replace("{q}", lowerFirst(sentence));
        }

        private static String lowerFirst(String s) {
            if (s.isEmpty() || s.startsWith("I ") || s.startsWith("I'")) return s;
            char c = s.charAt(0);
            if (c >= 'A' && c <= 'Z') return (char) (c + 32) + s.substring(1);
            return s;
        }

        private String askFramed(Slot s) {
            return frame(pick(zh ? Templates.QUESTION_ZH : Templates.QUESTION_EN), question(s));
        }

        private String answerFramed(Fact f) {
            return frame(pick(zh ? Templates.ANSWER_ZH : Templates.ANSWER_EN), answer(f));
        }

        private String tellFramed(Fact f) {
            return frame(pick(zh ? Templates.TELL_ZH : Templates.TELL_EN), tell(f));
        }

        private String ackFramed(Fact f) {
            return frame(pick(zh ? Templates.ACK_ZH : Templates.ACK_EN), answer(f));
        }

        private String correctFramed(Fact f) {
            return frame(pick(zh ? Templates.CORRECT_ZH : Templates.CORRECT_EN), tell(f));
        }

        private String correctionAckFramed(Fact f) {
            return frame(pick(zh ? Templates.CORRECTION_ACK_ZH : Templates.CORRECTION_ACK_EN), answer(f));
        }

        private String abstain(Slot s) {
            return pick(zh ? Templates.ABSTAIN_ZH : Templates.ABSTAIN_EN).replace("{topic}", tx(s).topic());
        }

        private void smallTalk(Fact name, boolean greetFirst) {
            List<Templates.Exchange> all = zh ? Templates.SMALL_TALK_ZH : Templates.SMALL_TALK_EN;
            if (greetFirst) {
                Templates.Exchange greet = all.get(0);
                String reply = name != null && chance(70)
                        ? Slot.fill(pick(zh ? Templates.GREET_NAME_ZH : Templates.GREET_NAME_EN), name.value())
                        : pick(greet.replies());
                say(pick(greet.users()), reply);
            } else {
                Templates.Exchange e = all.get(1 + rng.nextInt(all.size() - 1));
                say(pick(e.users()), pick(e.replies()));
            }
        }

        // ---- kinds ---------------------------------------------------------------------------------------------

        private GeneratedConversation greeting() {
            List<Fact> block = new ArrayList<>();
            Fact name = null;
            if (chance(45)) {
                block = facts(rng.nextInt(4), Set.of("name"));
                if (chance(60)) {
                    name = fact(slotNamed("name"));
                    block.add(name);
                }
                shuffle(block);
            }
            system(block);
            boolean greeted = chance(80);
            if (greeted) smallTalk(name, true);
            int more = greeted ? rng.nextInt(3) : 1 + rng.nextInt(2);
            for (int i = 0; i < more; i++) smallTalk(name, false);
            return done(Kind.GREETING, name == null ? null : "name", name == null ? null : name.value(), false);
        }

        private static Slot slotNamed(String id) {
            for (Slot s : Slot.ALL) if (s.id().equals(id)) return s;
            throw new IllegalArgumentException(id);
        }

        private GeneratedConversation memoryQa() {
            Slot target = pick(Slot.ALL);
            Fact t = fact(target);
            int distractors = chance(10) ? 0 : 1 + rng.nextInt(5);
            List<Fact> block = facts(distractors, Set.of(target.id()));
            if (chance(50)) {
                Fact near = confuser(target, ids(block, target));
                if (near != null) block.add(near);
            }
            block.add(t);
            shuffle(block);
            system(block);
            if (chance(20)) smallTalk(null, true);
            if (chance(20) && block.size() > 1) {
                Fact other = block.get(0) == t ? block.get(1) : block.get(0);
                say(askFramed(other.slot()), answerFramed(other));
            }
            if (chance(20)) {
                boolean same = chance(50);
                Fact asked = same ? t : otherFact(t);
                String check = frame(pick(zh ? Templates.CONFIRM_ZH : Templates.CONFIRM_EN), tell(asked));
                String reply = zh ? (same ? "对，" : "不对，") + answer(t) + "。"
                        : (same ? pick(List.of("Yes — ", "Yes, ", "That's right: ")) : pick(List.of("No — ", "Not quite: ")))
                        + lowerFirst(answer(t)) + ".";
                say(check, reply);
            } else {
                say(askFramed(target), answerFramed(t));
            }
            return done(Kind.MEMORY_QA, target.id(), t.value(), false);
        }

        private GeneratedConversation abstention() {
            Slot target = pick(Slot.ALL);
            List<Fact> block = facts(chance(15) ? 0 : 1 + rng.nextInt(5), Set.of(target.id()));
            if (chance(70)) {
                Fact near = confuser(target, ids(block, target));
                if (near != null) block.add(near);
                shuffle(block);
            }
            system(block);
            if (chance(15)) smallTalk(null, true);
            if (chance(25) && !block.isEmpty()) {
                Fact other = pick(block);
                say(askFramed(other.slot()), answerFramed(other));
            }
            say(askFramed(target), abstain(target));
            return done(Kind.ABSTENTION, target.id(), null, true);
        }

        private GeneratedConversation tellFact() {
            Slot target = pick(Slot.ALL);
            List<Fact> block = chance(50) ? facts(1 + rng.nextInt(3), Set.of(target.id())) : new ArrayList<>();
            system(block);
            if (chance(15)) smallTalk(null, true);
            Fact t = fact(target);
            if (chance(25)) {
                Set<String> used = new HashSet<>();
                used.add(target.id());
                for (Fact f : block) used.add(f.slot().id());
                Fact first = fact(slotExcept(used));
                say(tellFramed(first), ackFramed(first));
            }
            say(tellFramed(t), ackFramed(t));
            if (chance(25)) say(askFramed(target), answerFramed(t));
            return done(Kind.TELL_FACT, target.id(), t.value(), false);
        }

        private GeneratedConversation correction() {
            Slot target = pick(Slot.ALL);
            Fact old = fact(target);
            Fact now = otherFact(old);
            List<Fact> block = facts(rng.nextInt(4), Set.of(target.id()));
            int variant = rng.nextInt(100);
            if (variant < 75) block.add(old);
            shuffle(block);
            system(block);
            if (variant < 40) {
                say(askFramed(target), answerFramed(old));
            } else if (variant >= 75) {
                say(tellFramed(old), ackFramed(old));
            }
            if (chance(20)) {
                say(correctFramed(now), correctionAckFramed(now));
                say(askFramed(target), answerFramed(now));
            } else {
                say(correctFramed(now), correctionAckFramed(now));
            }
            return done(Kind.CORRECTION, target.id(), now.value(), false);
        }

        private GeneratedConversation extraction() {
            turns.add(Turn.system(EXTRACTION_SYSTEM_PROMPT));
            ArrayNode memories = JSON.createArrayNode();
            StringBuilder transcript = new StringBuilder();
            Set<String> used = new HashSet<>();
            int exchanges = 1 + rng.nextInt(3);
            for (int i = 0; i < exchanges; i++) {
                int r = rng.nextInt(100);
                String user;
                String reply;
                if (r < 45) {
                    Slot s = slotExcept(used);
                    used.add(s.id());
                    Fact f = fact(s);
                    user = tellFramed(f);
                    reply = ackFramed(f);
                    addMemory(memories, f.slot().kind(), f);
                    if (chance(20)) {
                        Slot s2 = slotExcept(used);
                        used.add(s2.id());
                        Fact f2 = fact(s2);
                        user = zh ? tell(f) + "，" + tell(f2) + "。" : tell(f) + ", and " + lowerFirst(tell(f2)) + ".";
                        reply = zh ? "好的，记住了：" + answer(f) + "，" + answer(f2) + "。"
                                : "Got it: " + lowerFirst(answer(f)) + ", and " + lowerFirst(answer(f2)) + ".";
                        addMemory(memories, f2.slot().kind(), f2);
                    }
                } else if (r < 60) {
                    Slot s = slotExcept(used);
                    used.add(s.id());
                    Fact f = fact(s);
                    user = correctFramed(f);
                    reply = correctionAckFramed(f);
                    addMemory(memories, MemoryKind.CORRECTION, f);
                } else if (r < 80) {
                    Slot s = slotExcept(used);
                    used.add(s.id());
                    user = askFramed(s);
                    if (chance(50)) {
                        reply = abstain(s);
                    } else {
                        Fact f = fact(s);
                        reply = answerFramed(f);
                    }
                } else {
                    List<Templates.Exchange> all = zh ? Templates.SMALL_TALK_ZH : Templates.SMALL_TALK_EN;
                    Templates.Exchange e = pick(all);
                    user = pick(e.users());
                    reply = pick(e.replies());
                }
                transcript.append("User: ").append(user).append('\n').append("Assistant: ").append(reply).append('\n');
            }
            turns.add(Turn.user(transcript.toString().stripTrailing()));
            ObjectNode root = JSON.createObjectNode();
            root.set("memories", memories);
            String json = root.toString();
            turns.add(Turn.assistant(json));
            return done(Kind.EXTRACTION, null, json, false);
        }

        private void addMemory(ArrayNode memories, MemoryKind kind, Fact f) {
            ObjectNode m = memories.addObject();
            m.put("kind", kind.json());
            m.put("text", memory(f));
        }

        private GeneratedConversation echo() {
            system(chance(40) ? facts(1 + rng.nextInt(3), Set.of()) : List.of());
            if (chance(15)) smallTalk(null, true);
            int n = 2 + rng.nextInt(7);
            List<String> items = new ArrayList<>();
            for (int i = 0; i < n; i++) items.add(fact(pick(Slot.ALL)).value());
            String list = String.join(zh ? "、" : ", ", items);
            String ask = pick(zh ? Templates.ECHO_ZH : Templates.ECHO_EN).replace("{x}", list);
            String reply = chance(50) ? list : (zh ? pick(List.of("好的：", "好：", "没问题：")) : pick(List.of("Sure: ", "Here you go: ", "OK: "))) + list;
            say(ask, reply);
            return done(Kind.ECHO, null, null, false);
        }

        private GeneratedConversation answerLength() {
            boolean brief = chance(50);
            if (chance(50)) {
                List<Fact> block = facts(2 + rng.nextInt(4), Set.of());
                system(block);
                String reply;
                if (brief) {
                    reply = zh ? "简单来说：" + answer(block.get(0)) + "，" + answer(block.get(1)) + "。"
                            : pick(Templates.SUMMARY_BRIEF_EN).replace("{a1}", lowerFirst(answer(block.get(0))))
                            .replace("{a2}", lowerFirst(answer(block.get(1))));
                } else {
                    StringBuilder sb = new StringBuilder(zh ? "我知道的关于你的信息如下：" : pick(Templates.SUMMARY_LONG_EN));
                    for (Fact f : block) sb.append("\n- ").append(answer(f)).append(zh ? "。" : ".");
                    sb.append('\n').append(zh ? "如果有变化，告诉我就好。" : "Tell me if anything has changed.");
                    reply = sb.toString();
                }
                String ask = pick(brief ? (zh ? Templates.SUMMARY_ASK_BRIEF_ZH : Templates.SUMMARY_ASK_BRIEF_EN)
                        : (zh ? Templates.SUMMARY_ASK_LONG_ZH : Templates.SUMMARY_ASK_LONG_EN));
                say(ask, reply);
                return done(Kind.ANSWER_LENGTH, null, null, false);
            }
            system(chance(50) ? facts(1 + rng.nextInt(3), Set.of()) : List.of());
            Templates.Topic topic = pick(zh ? Templates.TOPICS_ZH : Templates.TOPICS_EN);
            String frame = pick(brief ? (zh ? Templates.BRIEF_ZH : Templates.BRIEF_EN)
                    : (zh ? Templates.DETAILED_ZH : Templates.DETAILED_EN));
            say(frame(frame, pick(topic.questions())), brief ? topic.brief() : topic.detailed());
            return done(Kind.ANSWER_LENGTH, null, null, false);
        }
    }
}
