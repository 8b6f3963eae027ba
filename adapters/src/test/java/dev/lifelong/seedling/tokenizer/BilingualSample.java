package dev.lifelong.seedling.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** English and Chinese sentences and ChatML conversations from templates, deterministic from a seed. */
final class BilingualSample {
    private static final String[] NAMES = {"Lea", "Tom", "Mia", "Jonas", "Sofia", "Ahmed", "Yuki", "Carlos", "Emma",
        "Noah", "Priya", "Olga"};
    private static final String[] CITIES = {"Berlin", "Paris", "Tokyo", "Lisbon", "Toronto", "Nairobi", "Oslo",
        "Shanghai", "Madrid", "Vienna"};
    private static final String[] FOODS = {"pizza", "green tea", "dumplings", "apple pie", "sushi", "lentil soup"};
    private static final String[] HOBBIES = {"hiking", "painting", "chess", "swimming", "reading novels", "cooking"};
    private static final String[] ZH_NAMES = {"小明", "李华", "王芳", "张伟", "陈静", "刘洋", "赵磊", "孙丽"};
    private static final String[] ZH_CITIES = {"北京", "上海", "广州", "深圳", "杭州", "成都", "南京", "西安"};
    private static final String[] ZH_FOODS = {"饺子", "米饭", "面条", "火锅", "包子", "绿茶"};
    private static final String[] ZH_HOBBIES = {"爬山", "画画", "下棋", "游泳", "看书", "做饭"};
    private static final String[] EMOJI = {"🌱", "😊", "🎉", "👍", "☕", "🍕"};

    private BilingualSample() {
    }

    static List<String> english(long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String name = pick(r, NAMES);
            String city = pick(r, CITIES);
            out.add(switch (r.nextInt(10)) {
                case 0 -> "Hello! My name is " + name + " and I live in " + city + ".";
                case 1 -> "I was born on " + (1 + r.nextInt(28)) + "/" + (1 + r.nextInt(12)) + "/"
                        + (1950 + r.nextInt(60)) + ", so I am " + (18 + r.nextInt(60)) + " years old.";
                case 2 -> "My favourite food is " + pick(r, FOODS) + ", and I love " + pick(r, HOBBIES) + " "
                        + pick(r, EMOJI);
                case 3 -> "No, my sister is called " + name + ", not " + pick(r, NAMES) + ".";
                case 4 -> "Known about the user: lives in " + city + "; likes " + pick(r, HOBBIES) + ".\n"
                        + "Question: where does the user live?";
                case 5 -> "I don't know that yet. Could you tell me?";
                case 6 -> "{\"facts\": [{\"subject\": \"user\", \"relation\": \"lives_in\", \"object\": \"" + city
                        + "\"}]}";
                case 7 -> "Meeting at " + r.nextInt(24) + ":" + (10 + r.nextInt(50)) + " costs $" + r.nextInt(500)
                        + "." + r.nextInt(10) + r.nextInt(10) + " (about " + r.nextInt(100) + "%).";
                case 8 -> "<|im_start|>user\nHi, I'm " + name + ". I like " + pick(r, FOODS) + ".<|im_end|>\n"
                        + "<|im_start|>assistant\nNice to meet you, " + name + "! " + pick(r, EMOJI) + "<|im_end|>\n";
                default -> "Thanks,  " + name + "!  See you in " + city + " on Monday?\tSure.";
            });
        }
        return out;
    }

    static List<String> chinese(long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String name = pick(r, ZH_NAMES);
            String city = pick(r, ZH_CITIES);
            out.add(switch (r.nextInt(8)) {
                case 0 -> "你好！我叫" + name + "，我住在" + city + "。";
                case 1 -> "我今年" + (18 + r.nextInt(60)) + "岁，生日是" + (1 + r.nextInt(12)) + "月" + (1 + r.nextInt(28))
                        + "日。";
                case 2 -> "我最喜欢吃" + pick(r, ZH_FOODS) + "，也喜欢" + pick(r, ZH_HOBBIES) + pick(r, EMOJI);
                case 3 -> "不对，我姐姐叫" + name + "，不是" + pick(r, ZH_NAMES) + "。";
                case 4 -> "关于用户的已知信息：住在" + city + "；喜欢" + pick(r, ZH_HOBBIES) + "。\n问题：用户住在哪里？";
                case 5 -> "我还不知道这件事。你能告诉我吗？";
                case 6 -> "<|im_start|>user\n我叫" + name + "，住在" + city + "。<|im_end|>\n<|im_start|>assistant\n"
                        + "很高兴认识你，" + name + "！<|im_end|>\n";
                default -> "明天" + (1 + r.nextInt(12)) + "点在" + city + "见面，好吗？好的 " + pick(r, EMOJI);
            });
        }
        return out;
    }

    private static String pick(SplittableRandom r, String[] options) {
        return options[r.nextInt(options.length)];
    }
}
