package dev.lifelong.assistant.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Synthetic users for the retrieval benchmark: facts in English and Chinese, later updates of some of them,
 * distractor memories, and questions of the LongMemEval kinds (single fact, updated fact, temporal, multi-session,
 * abstention). Questions are worded unlike the memories ("What pet do I have?" for "The user has a dog called Rex")
 * so keyword overlap alone does not find them. Deterministic per seed.
 */
final class SyntheticUsers {
    enum QuestionKind { SINGLE, UPDATED, TEMPORAL, MULTI_SESSION, ABSTENTION }

    /** A memory to store; {@code session} orders them in time (updates come in later sessions). */
    record Fact(String slot, String text, int session) {
    }

    /** A question and the memories (indexes into the user's facts) that answer it; none for abstention. */
    record Question(QuestionKind kind, boolean chinese, String text, List<Integer> answers, List<Integer> stale) {
    }

    record User(List<Fact> facts, List<Question> questions) {
    }

    private record Slot(String id, String[] en, String[] zh, String[] enQuestions, String[] zhQuestions, String[] enValues,
            String[] zhValues) {
    }

    private static final String[] NAMES_EN = {"Lea", "Tom", "Mira", "Jonas", "Ada", "Felix", "Nora", "Oskar", "Ines", "Paul", "Yuki", "Rosa"};
    private static final String[] NAMES_ZH = {"李娜", "王伟", "张敏", "刘洋", "陈静", "周丽", "赵磊", "孙悦", "黄婷", "吴昊"};
    private static final String[] CITIES_EN = {"Berlin", "Lyon", "Porto", "Oslo", "Kyoto", "Denver", "Graz", "Leeds", "Turin", "Malmo"};
    private static final String[] CITIES_ZH = {"杭州", "成都", "西安", "南京", "厦门", "青岛", "苏州", "长沙", "昆明", "大连"};

    private static final List<Slot> SLOTS = List.of(
            new Slot("city", new String[] {"The user lives in %s."}, new String[] {"用户住在%s。"},
                    new String[] {"Where do I live?", "Which city is home for me?", "What town am I based in?"},
                    new String[] {"我住在哪里？", "我家在哪个城市？"}, CITIES_EN, CITIES_ZH),
            new Slot("sister", new String[] {"The user's sister is called %s."}, new String[] {"用户的妹妹叫%s。"},
                    new String[] {"What is my sister's name?", "Who is my sibling (the girl)?"},
                    new String[] {"我妹妹叫什么名字？", "我妹妹是谁？"}, NAMES_EN, NAMES_ZH),
            new Slot("pet", new String[] {"The user has a dog called %s."}, new String[] {"用户家的狗叫%s。"},
                    new String[] {"What pet do I have?", "What's the name of my animal at home?"},
                    new String[] {"我养的宠物叫什么？", "我家的小动物叫什么名字？"}, NAMES_EN, NAMES_ZH),
            new Slot("job", new String[] {"The user works as a %s."}, new String[] {"用户的职业是%s。"},
                    new String[] {"What do I do for a living?", "What is my profession?"},
                    new String[] {"我是做什么工作的？", "我的工作是什么？"},
                    new String[] {"nurse", "pilot", "carpenter", "teacher", "chemist", "baker", "librarian", "dentist"},
                    new String[] {"护士", "飞行员", "木匠", "老师", "化学家", "面包师", "图书管理员", "牙医"}),
            new Slot("drink", new String[] {"The user likes drinking %s."}, new String[] {"用户喜欢喝%s。"},
                    new String[] {"What beverage do I enjoy?", "Which drink should you offer me?"},
                    new String[] {"我爱喝什么饮料？", "给我倒杯什么好？"},
                    new String[] {"green tea", "espresso", "oat milk", "lemonade", "rooibos", "hot chocolate"},
                    new String[] {"绿茶", "浓缩咖啡", "燕麦奶", "柠檬水", "乌龙茶", "热可可"}),
            new Slot("allergy", new String[] {"The user is allergic to %s."}, new String[] {"用户对%s过敏。"},
                    new String[] {"What can't I eat without reacting badly?", "Which food gives me a reaction?"},
                    new String[] {"我吃什么会不舒服？", "有什么东西我不能碰？"},
                    new String[] {"peanuts", "shellfish", "gluten", "strawberries", "sesame", "eggs"},
                    new String[] {"花生", "海鲜", "麸质", "草莓", "芝麻", "鸡蛋"}),
            new Slot("language", new String[] {"The user is learning %s."}, new String[] {"用户在学%s。"},
                    new String[] {"Which foreign tongue am I studying?", "What language course am I taking?"},
                    new String[] {"我最近在学哪门外语？", "我在上什么语言课？"},
                    new String[] {"Japanese", "Portuguese", "Korean", "Finnish", "Arabic", "Dutch"},
                    new String[] {"日语", "葡萄牙语", "韩语", "芬兰语", "阿拉伯语", "荷兰语"}),
            new Slot("car", new String[] {"The user drives a %s."}, new String[] {"用户开一辆%s。"},
                    new String[] {"What vehicle do I own?", "What am I driving these days?"},
                    new String[] {"我开的是什么车？", "我的座驾是什么？"},
                    new String[] {"red Volvo", "blue Fiat", "grey Toyota", "white Tesla", "green Skoda"},
                    new String[] {"红色沃尔沃", "蓝色菲亚特", "灰色丰田", "白色特斯拉", "绿色斯柯达"}),
            new Slot("sport", new String[] {"The user plays %s every week."}, new String[] {"用户每周都打%s。"},
                    new String[] {"Which game do I practise weekly?", "What do I do to keep fit?"},
                    new String[] {"我每周做什么运动？", "我平时怎么锻炼？"},
                    new String[] {"tennis", "badminton", "volleyball", "squash", "basketball"},
                    new String[] {"网球", "羽毛球", "排球", "壁球", "篮球"}),
            new Slot("partner", new String[] {"The user's partner is called %s."}, new String[] {"用户的伴侣叫%s。"},
                    new String[] {"Who am I in a relationship with?", "What's my significant other's name?"},
                    new String[] {"我的另一半叫什么？", "我对象是谁？"}, NAMES_EN, NAMES_ZH));

    private static final String[] EVENTS_EN = {"dentist appointment", "job interview", "flight to Madrid", "piano recital",
            "team offsite", "yoga retreat", "wedding anniversary dinner", "driving test"};
    private static final String[] EVENTS_ZH = {"看牙医", "工作面试", "飞往马德里的航班", "钢琴演出", "团队团建", "瑜伽静修", "结婚纪念日晚餐", "驾照考试"};
    private static final String[] MONTHS = {"January", "February", "March", "April", "May", "June", "July", "August",
            "September", "October", "November", "December"};

    private static final String[] FILLER_EN = {"The user watched a documentary about %s.", "The user read an article on %s.",
            "The user mentioned a podcast about %s.", "The user asked for a recipe with %s.", "The user bought a book on %s.",
            "The user talked about a trip to %s last year.", "The user once tried %s and did not like it."};
    private static final String[] FILLER_ZH = {"用户看了一部关于%s的纪录片。", "用户读了一篇讲%s的文章。", "用户提到一个关于%s的播客。",
            "用户想找一个用%s做的菜谱。", "用户买了一本讲%s的书。"};
    private static final String[] TOPICS_EN = {"volcanoes", "jazz history", "bees", "bridges", "chess openings", "mushrooms",
            "lighthouses", "glaciers", "origami", "submarines", "typography", "tea ceremonies", "comets", "windmills", "Iceland",
            "Lisbon", "quinoa", "fermentation", "beekeeping", "sundials"};
    private static final String[] TOPICS_ZH = {"火山", "爵士乐历史", "蜜蜂", "桥梁", "象棋开局", "蘑菇", "灯塔", "冰川", "折纸", "潜水艇",
            "字体设计", "茶道", "彗星", "风车", "冰岛", "豆腐", "发酵", "养蜂"};

    private SyntheticUsers() {
    }

    /** A user with {@code slots} facts (some updated later), {@code events} dated events and {@code fillers} distractors. */
    static User generate(Random rng, int slots, int events, int fillers) {
        List<Fact> facts = new ArrayList<>();
        List<Question> questions = new ArrayList<>();
        List<Slot> shuffled = new ArrayList<>(SLOTS);
        java.util.Collections.shuffle(shuffled, rng);
        int used = Math.min(slots, shuffled.size() - 1);
        int[] factIndex = new int[used];
        for (int i = 0; i < used; i++) {
            Slot s = shuffled.get(i);
            boolean zh = rng.nextInt(10) < 3;
            facts.add(new Fact(s.id, fact(s, zh, rng), rng.nextInt(5)));
            factIndex[i] = facts.size() - 1;
            String q = pick(rng, zh ? s.zhQuestions : s.enQuestions);
            if (rng.nextInt(4) == 0) {
                // the same slot told again with another value in a later session
                String newer;
                do {
                    newer = fact(s, zh, rng);
                } while (newer.equals(facts.get(factIndex[i]).text()));
                facts.add(new Fact(s.id, newer, 5 + rng.nextInt(5)));
                questions.add(new Question(QuestionKind.UPDATED, zh, q, List.of(facts.size() - 1), List.of(factIndex[i])));
            } else {
                questions.add(new Question(QuestionKind.SINGLE, zh, q, List.of(factIndex[i]), List.of()));
            }
        }
        for (int i = 0; i + 1 < used; i += 2) {
            Slot a = shuffled.get(i), b = shuffled.get(i + 1);
            boolean zh = rng.nextBoolean();
            String q = zh ? stripQ(pick(rng, a.zhQuestions)) + "，还有" + pick(rng, b.zhQuestions)
                    : stripQ(pick(rng, a.enQuestions)) + ", and " + lowerFirst(pick(rng, b.enQuestions));
            questions.add(new Question(QuestionKind.MULTI_SESSION, zh, q, List.of(latest(facts, a.id), latest(facts, b.id)), List.of()));
        }
        for (int i = 0; i < events; i++) {
            boolean zh = rng.nextInt(10) < 3;
            int ev = rng.nextInt(EVENTS_EN.length);
            int day = 1 + rng.nextInt(28), month = rng.nextInt(12);
            String text = zh ? "用户" + (month + 1) + "月" + day + "日有" + EVENTS_ZH[ev] + "。"
                    : "The user has a " + EVENTS_EN[ev] + " on " + day + " " + MONTHS[month] + ".";
            facts.add(new Fact("event", text, rng.nextInt(10)));
            String q = zh ? "我" + (month + 1) + "月" + day + "日有什么安排？" : "What is on my calendar for " + day + " " + MONTHS[month] + "?";
            questions.add(new Question(QuestionKind.TEMPORAL, zh, q, List.of(facts.size() - 1), List.of()));
        }
        Slot absent = shuffled.get(shuffled.size() - 1);
        boolean zhAbsent = rng.nextBoolean();
        questions.add(new Question(QuestionKind.ABSTENTION, zhAbsent, pick(rng, zhAbsent ? absent.zhQuestions : absent.enQuestions),
                List.of(), List.of()));
        for (int i = 0; i < fillers; i++) facts.add(new Fact("filler", filler(rng), rng.nextInt(10)));
        return new User(facts, questions);
    }

    /** A distractor memory (for filling a user up to 10k–1M memories). */
    static String filler(Random rng) {
        boolean zh = rng.nextInt(10) < 3;
        return String.format(pick(rng, zh ? FILLER_ZH : FILLER_EN), pick(rng, zh ? TOPICS_ZH : TOPICS_EN))
                + (rng.nextInt(3) == 0 ? "" : " #" + rng.nextInt(100_000));
    }

    private static int latest(List<Fact> facts, String slot) {
        for (int i = facts.size() - 1; i >= 0; i--) if (facts.get(i).slot().equals(slot)) return i;
        throw new IllegalStateException(slot);
    }

    private static String fact(Slot s, boolean zh, Random rng) {
        return String.format(pick(rng, zh ? s.zh : s.en), pick(rng, zh ? s.zhValues : s.enValues));
    }

    private static String stripQ(String q) {
        return q.substring(0, q.length() - 1);
    }

    private static String lowerFirst(String s) {
        return Character.toLowerCase(s.charAt(0)) + s.substring(1);
    }

    private static <T> T pick(Random rng, T[] xs) {
        return xs[rng.nextInt(xs.length)];
    }
}
