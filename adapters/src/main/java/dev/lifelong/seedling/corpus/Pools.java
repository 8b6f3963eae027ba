package dev.lifelong.seedling.corpus;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The entity values the corpus copies from: names of many cultures, cities, pets, jobs, foods, numbers and dates.
 * Each pool is split into a training and a held-out part by {@link Split#of}.
 */
final class Pools {
    private Pools() {}

    /** A source of entity values of one category ("name", "city", ...), split into training and held-out values. */
    interface Source {
        String category();

        String draw(SplittableRandom rng, Split split, Language language);
    }

    record ListSource(String category, List<String> train, List<String> eval) implements Source {
        static ListSource of(String category, List<String> values) {
            List<String> train = new ArrayList<>();
            List<String> eval = new ArrayList<>();
            for (String v : values) {
                if (train.contains(v) || eval.contains(v)) throw new IllegalStateException("duplicate " + category + " " + v);
                (Split.of(v) == Split.EVAL ? eval : train).add(v);
            }
            if (eval.size() < 2 || train.size() < 2) throw new IllegalStateException("pool " + category + " cannot be split");
            return new ListSource(category, List.copyOf(train), List.copyOf(eval));
        }

        List<String> values(Split split) {
            return split == Split.EVAL ? eval : train;
        }

        @Override
        public String draw(SplittableRandom rng, Split split, Language language) {
            List<String> v = values(split);
            return v.get(rng.nextInt(v.size()));
        }
    }

    record NumberSource(String category, int min, int max) implements Source {
        @Override
        public String draw(SplittableRandom rng, Split split, Language language) {
            while (true) {
                String v = Integer.toString(min + rng.nextInt(max - min + 1));
                if (Split.of(v) == split) return v;
            }
        }
    }

    /** Dates formatted several ways; the split is decided by the calendar day, so no day is in both parts. */
    record DateSource(String category, boolean withYear) implements Source {
        private static final String[] MONTHS = {"January", "February", "March", "April", "May", "June", "July",
                "August", "September", "October", "November", "December"};
        private static final int[] DAYS = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

        @Override
        public String draw(SplittableRandom rng, Split split, Language language) {
            int month;
            int day;
            do {
                month = 1 + rng.nextInt(12);
                day = 1 + rng.nextInt(DAYS[month - 1]);
            } while (Split.of("date " + month + "-" + day) != split);
            String year = Integer.toString(2026 + rng.nextInt(2));
            String mm = (month < 10 ? "0" : "") + month;
            String dd = (day < 10 ? "0" : "") + day;
            String name = MONTHS[month - 1];
            if (language == Language.ZH) {
                return switch (withYear ? rng.nextInt(3) : 0) {
                    case 1 -> year + "年" + month + "月" + day + "日";
                    case 2 -> year + "-" + mm + "-" + dd;
                    default -> month + "月" + day + "日";
                };
            }
            return switch (rng.nextInt(withYear ? 5 : 2)) {
                case 1 -> day + " " + name;
                case 2 -> name + " " + day + ", " + year;
                case 3 -> day + " " + name + " " + year;
                case 4 -> year + "-" + mm + "-" + dd;
                default -> name + " " + day;
            };
        }
    }

    private static List<String> words(String spaceSeparated) {
        return List.of(spaceSeparated.trim().split("\\s+"));
    }

    private static List<String> lines(String commaSeparated) {
        List<String> out = new ArrayList<>();
        for (String s : commaSeparated.split(",")) {
            String t = s.strip();
            if (!t.isEmpty()) out.add(t);
        }
        return out;
    }

    static final ListSource NAMES_EN = ListSource.of("name", words("""
            Lea Anna Maria Sophie Emma Olivia Mia Charlotte Amelia Ava Isabella Chloe Grace Lily Ella Hannah Zoe Nora
            Clara Alice Laura Julia Sarah Emily Rachel Rebecca Hanna Ingrid Astrid Freya Sigrid Elin Maja Saga Linnea
            Katarina Petra Ivana Milena Zofia Agnieszka Aleksandra Natalia Olga Tatiana Irina Svetlana Daria Yulia
            Fatima Aisha Layla Yasmin Noor Zainab Mariam Amira Leila Samira Priya Ananya Divya Kavya Meera Pooja Sita
            Lakshmi Deepa Nisha Aiko Yuki Sakura Hana Emi Haruka Mei Xiu Ling Jing Yan Hui Fang Min Ji-woo Seo-yeon
            Min-ji Soo-ah Nguyet Linh Thao Mai Chiamaka Amara Ngozi Zola Nia Imani Abena Ama Esi Lucia Carmen Elena
            Sofia Valentina Camila Gabriela Isabel Paula Ines Beatriz Mariana Juliana Giulia Francesca Chiara Alessia
            Martina Elisa Greta Ines Amelie Manon Camille Louise Juliette Elodie Margot Leonie Johanna Frieda Greta
            Tom Liam Noah Oliver Elijah James William Benjamin Lucas Henry Theodore Jack Leo Oscar Arthur Harry George
            Samuel Daniel David Michael Thomas Peter Paul Simon Mark Luke Adam Ben Max Felix Jonas Lukas Finn Paul Emil
            Anton Jakob Matteo Luca Marco Giovanni Alessandro Lorenzo Andrea Pablo Diego Javier Carlos Miguel Alejandro
            Mateo Santiago Joao Pedro Rafael Tiago Hugo Louis Gabriel Antoine Julien Mathis Sven Erik Lars Nils Olaf
            Bjorn Magnus Henrik Mikkel Piotr Tomasz Jakub Pavel Dmitri Ivan Sergei Alexei Nikolai Mikhail Ahmed
            Mohammed Omar Ali Hassan Yusuf Karim Tariq Khalid Bilal Rahul Arjun Vikram Rohan Aditya Sanjay Ravi Amit
            Kiran Hiroshi Takeshi Kenji Haruto Ren Sota Yuto Riku Wei Jun Hao Lei Tao Chen Ming Jian Bo Qiang Min-jun
            Ji-ho Seo-jun Do-yun Minh Duc Tuan Quang Kwame Kofi Chidi Emeka Tunde Jabari Kato Tendai Sipho Thabo Mandla
            Jamal Malik Andre Marcus Darius Xavier Isaac Elias Levi Ezra Caleb Owen Rhys Dylan Callum Ewan Angus Declan
            Seamus Ciaran Eoin Niamh Siobhan Aoife Saoirse Caoimhe Bronagh Maeve Orla Tallulah Willow Hazel Ivy Ruby
            Iris Jade Pearl Rosa Stella Luna Aurora Ingeborg Tove Ronja Malin Kaisa Aino Eero Juha Mikko Tapio Ilkka
            Kai Nalani Keanu Leilani Mana Tane Aroha Wiremu Rangi Tama Yara Thiago Caio Davi Enzo Bruna Larissa Leticia
            """).stream().distinct().toList());

    private static final List<String> ZH_SURNAMES = List.of("王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴",
            "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯",
            "邓", "曹", "彭", "曾", "肖", "田", "董", "袁", "潘", "于", "蒋", "蔡", "余", "杜", "叶", "程", "苏", "魏", "吕", "丁");
    private static final List<String> ZH_GIVEN = List.of("伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "洋", "艳",
            "勇", "军", "杰", "娟", "涛", "明", "超", "秀英", "华", "平", "刚", "桂英", "玉兰", "婷", "浩然", "子涵", "欣怡",
            "梓萱", "思远", "雨桐", "宇轩", "一诺", "佳怡", "俊杰", "晓明", "晓燕", "建国", "志强", "海燕", "文博", "嘉怡",
            "诗涵", "子轩", "梦琪", "天佑", "若曦", "明轩", "雅婷", "家豪", "慧敏", "晨", "阳", "琳", "颖", "鑫", "斌", "莉", "萍");

    static final ListSource NAMES_ZH;

    static {
        List<String> all = new ArrayList<>();
        for (String s : ZH_SURNAMES) for (String g : ZH_GIVEN) all.add(s + g);
        NAMES_ZH = ListSource.of("name", all);
    }

    static final ListSource PET_NAMES = ListSource.of("pet", words("""
            Biscuit Pepper Mochi Tofu Noodle Pickle Waffle Muffin Cookie Peanut Bean Pumpkin Ginger Cinnamon Nutmeg
            Maple Honey Sugar Coco Toffee Fudge Oreo Bagel Dumpling Sushi Wasabi Miso Kimchi Taco Nacho Churro Mango
            Kiwi Olive Clementine Bubbles Buttons Whiskers Mittens Socks Paws Fluffy Shadow Smokey Ash Storm Thunder
            Blizzard Frosty Snowball Pixel Byte Widget Gizmo Sprocket Rocket Comet Apollo Zeus Thor Loki Odin Athena
            Hermes Nemo Simba Nala Baloo Bagheera Totoro Pikachu Yoda Chewie Gandalf Frodo Bilbo Pippin Merlin Sherlock
            Watson Poirot Marple Bowie Elvis Ziggy Prince Duke Baron Rex Fido Spot Rover Buddy Scout Ranger Bandit Rusty
            Copper Tinker Pebble Boulder Moss Fern Clover Thistle Acorn Hazelnut Chestnut Walnut Pistachio Cashew
            Barnaby Winston Humphrey Reginald Clementine Percival Mortimer Bartholomew Ferdinand Archibald Wilbur
            Momo Dou Dou Huahua Xiaobai Doudou Qiuqiu Wangcai Mimi
            """).stream().distinct().toList());

    static final ListSource PET_NAMES_ZH = ListSource.of("pet", words("""
            旺财 豆豆 球球 毛毛 咪咪 花花 小白 小黑 大黄 元宝 饺子 汤圆 包子 馒头 布丁 奶茶 可乐 雪碧 芝麻 年糕 糯米 黑豆 红豆
            绿豆 土豆 番茄 橘子 柚子 桃子 西瓜 葡萄 樱桃 芒果 椰子 团子 丸子 果冻 奶糖 棉花 雪球 闪电 旋风 阿福 来福 福宝 乐乐
            欢欢 笑笑 甜甜 贝贝 妞妞 壮壮 虎子 小虎 胖虎 大毛 二毛 点点 星星 月亮 太阳 多多 滚滚 咕噜 嘟嘟 皮皮 跳跳 淘淘
            """));

    static final ListSource CITIES_EN = ListSource.of("city", lines("""
            Berlin, Paris, London, Madrid, Rome, Lisbon, Vienna, Prague, Warsaw, Budapest, Amsterdam, Brussels,
            Copenhagen, Stockholm, Oslo, Helsinki, Dublin, Edinburgh, Zurich, Geneva, Munich, Hamburg, Cologne, Lyon,
            Marseille, Barcelona, Valencia, Seville, Porto, Milan, Naples, Turin, Florence, Athens, Istanbul, Krakow,
            Gdansk, Tallinn, Riga, Vilnius, Bucharest, Sofia, Belgrade, Zagreb, Ljubljana, Bratislava, Reykjavik,
            Bergen, Gothenburg, Malmo, Aarhus, Rotterdam, Utrecht, Antwerp, Ghent, Bordeaux, Nantes, Toulouse,
            New York, Boston, Chicago, Seattle, Portland, Denver, Austin, Houston, Dallas, Miami, Atlanta, Toronto,
            Vancouver, Montreal, Ottawa, Calgary, Mexico City, Guadalajara, Bogota, Lima, Santiago, Buenos Aires,
            Montevideo, Sao Paulo, Rio de Janeiro, Quito, Havana, Cairo, Casablanca, Marrakesh, Tunis, Lagos, Accra,
            Nairobi, Addis Ababa, Kampala, Kigali, Dar es Salaam, Cape Town, Johannesburg, Durban, Dakar, Dubai,
            Abu Dhabi, Doha, Amman, Beirut, Tel Aviv, Tehran, Karachi, Lahore, Delhi, Mumbai, Bangalore, Chennai,
            Kolkata, Hyderabad, Pune, Dhaka, Kathmandu, Colombo, Bangkok, Chiang Mai, Hanoi, Ho Chi Minh City, Manila,
            Jakarta, Bali, Kuala Lumpur, Singapore, Hong Kong, Taipei, Shanghai, Beijing, Shenzhen, Guangzhou, Chengdu,
            Hangzhou, Wuhan, Xi'an, Nanjing, Seoul, Busan, Tokyo, Osaka, Kyoto, Sapporo, Fukuoka, Sydney, Melbourne,
            Brisbane, Perth, Adelaide, Auckland, Wellington, Christchurch, Honolulu, Anchorage, Leeds, Manchester,
            Bristol, Glasgow, Cardiff, Belfast, Cork, Galway, Basel, Bern, Graz, Salzburg, Leipzig, Dresden, Stuttgart
            """));

    static final ListSource CITIES_ZH = ListSource.of("city", words("""
            北京 上海 广州 深圳 杭州 南京 苏州 成都 重庆 武汉 西安 天津 长沙 郑州 青岛 大连 厦门 福州 昆明 贵阳 南宁 海口 三亚
            哈尔滨 长春 沈阳 济南 合肥 南昌 太原 石家庄 兰州 西宁 银川 乌鲁木齐 拉萨 呼和浩特 宁波 温州 无锡 佛山 东莞 珠海
            桂林 丽江 大理 洛阳 开封 扬州 绍兴 嘉兴 台北 高雄 台中 香港 澳门 东京 大阪 首尔 新加坡 曼谷 巴黎 伦敦 柏林 纽约
            旧金山 洛杉矶 温哥华 多伦多 悉尼 墨尔本 罗马 马德里 莫斯科 迪拜
            """));

    static final ListSource JOBS_EN = ListSource.of("job", lines("""
            nurse, teacher, software engineer, architect, accountant, electrician, plumber, carpenter, chef, baker,
            pharmacist, dentist, veterinarian, lawyer, journalist, photographer, graphic designer, librarian,
            translator, data scientist, pilot, flight attendant, firefighter, police officer, paramedic, physiotherapist,
            midwife, farmer, gardener, florist, barista, bus driver, taxi driver, mechanic, welder, civil engineer,
            research chemist, biologist, physicist, economist, historian, professor, kindergarten teacher, tailor,
            hairdresser, personal trainer, yoga instructor, musician, violinist, actor, film editor, game developer,
            product manager, project manager, sales manager, real estate agent, bank clerk, insurance broker,
            social worker, psychologist, optician, surveyor, marine biologist, park ranger, interior designer, UX designer
            """));

    static final ListSource JOBS_ZH = ListSource.of("job", words("""
            护士 老师 程序员 建筑师 会计 电工 水管工 木匠 厨师 面包师 药剂师 牙医 兽医 律师 记者 摄影师 平面设计师 图书管理员
            翻译 数据分析师 飞行员 空乘 消防员 警察 医生 农民 园丁 花艺师 咖啡师 公交司机 出租车司机 修车师傅 工程师 化学家
            生物学家 物理学家 经济学家 大学教授 幼儿园老师 裁缝 理发师 健身教练 瑜伽老师 音乐家 演员 游戏开发者 产品经理 项目经理
            销售经理 银行职员 心理咨询师 室内设计师 公务员 外卖骑手 快递员
            """));

    static final ListSource COMPANIES = ListSource.of("company", compose(
            words("North South East West Blue Red Green Silver Golden Bright Quiet Swift Clever Little Big Iron Maple Cedar Harbor River"),
            words("wind stone field bridge light works lake path hill gate")
                    .stream().map(s -> s + " Labs").toList()));

    static final ListSource PROJECTS = ListSource.of("project", words("""
            Atlas Beacon Cobalt Dynamo Ember Falcon Glacier Harbor Indigo Juniper Kestrel Lantern Meridian Nimbus Orchid
            Pioneer Quartz Radiant Sequoia Tundra Umbra Vortex Willow Xenon Yonder Zephyr Aurora Basalt Cascade Delta
            Eclipse Fjord Granite Helix Iris Jasper Keystone Lumen Monsoon Nebula Obsidian Prism Quasar Ripple Solstice
            Tidal Uplift Vertex Wavelength Yarrow Zenith Acorn Bramble Cinder Driftwood Echo Foxglove Gale Hollow
            """));

    static final ListSource FOODS_EN = ListSource.of("food", lines("""
            pizza, sushi, ramen, dumplings, lasagna, tacos, curry, pad thai, pho, paella, risotto, falafel, hummus,
            burritos, pancakes, waffles, croissants, bagels, fried rice, chow mein, kimchi stew, bibimbap, tempura,
            gnocchi, moussaka, goulash, pierogi, borscht, shakshuka, couscous, jollof rice, biryani, dal, samosas,
            butter chicken, fish and chips, shepherd's pie, mac and cheese, cheesecake, apple pie, chocolate cake,
            tiramisu, ice cream, mango sticky rice, banh mi, laksa, satay, poke bowls, ceviche, empanadas, enchiladas,
            quesadillas, spaghetti carbonara, mushroom soup, tomato soup, lentil soup, grilled salmon, roast chicken
            """));

    static final ListSource FOODS_ZH = ListSource.of("food", words("""
            饺子 火锅 烤鸭 小笼包 麻婆豆腐 宫保鸡丁 红烧肉 糖醋排骨 兰州拉面 牛肉面 炸酱面 煎饼果子 肉夹馍 凉皮 麻辣烫 螺蛳粉
            肠粉 叉烧包 虾饺 烧卖 粽子 月饼 汤圆 油条 豆浆 包子 馄饨 酸菜鱼 水煮鱼 回锅肉 鱼香肉丝 北京烤鸭 寿司 披萨 意大利面
            汉堡 炸鸡 咖喱饭 拉面 冰淇淋 提拉米苏 芒果布丁 蛋挞 臭豆腐 烤串 羊肉泡馍 过桥米线
            """));

    static final ListSource COLOURS_EN = ListSource.of("colour", lines("""
            red, blue, green, yellow, purple, orange, pink, teal, turquoise, navy blue, forest green, maroon, lavender,
            coral, beige, black, white, grey, gold, silver, burgundy, mint green, sky blue, olive green, crimson
            """));
    static final ListSource COLOURS_ZH = ListSource.of("colour", words("""
            红色 蓝色 绿色 黄色 紫色 橙色 粉色 黑色 白色 灰色 金色 银色 天蓝色 深蓝色 浅绿色 酒红色 米色 薄荷绿 藏青色 咖啡色 橄榄绿 玫瑰红 湖蓝色 象牙白 珊瑚色 淡紫色
            """));

    static final ListSource DRINKS_EN = ListSource.of("drink", lines("""
            green tea, black coffee, oat milk latte, cappuccino, espresso, flat white, chai, jasmine tea, oolong tea,
            hot chocolate, orange juice, sparkling water, lemonade, iced tea, matcha latte, peppermint tea, kombucha,
            apple juice, earl grey, rooibos tea, mango lassi, bubble tea, ginger tea, chamomile tea
            """));
    static final ListSource DRINKS_ZH = ListSource.of("drink", words("""
            绿茶 乌龙茶 红茶 普洱茶 茉莉花茶 菊花茶 黑咖啡 拿铁 美式咖啡 奶茶 珍珠奶茶 豆浆 橙汁 苹果汁 柠檬水 酸梅汤 椰汁 热可可
            可乐 雪碧 矿泉水 酸奶 椰子水 姜茶 龙井茶 铁观音 白茶 柠檬茶 燕麦拿铁 大麦茶 蜂蜜水 冰美式
            """));

    static final ListSource HOBBIES_EN = ListSource.of("hobby", lines("""
            hiking, rock climbing, swimming, cycling, running, painting, drawing, knitting, baking, cooking, gardening,
            birdwatching, photography, playing chess, playing the piano, playing the guitar, singing in a choir,
            reading science fiction, writing poetry, woodworking, pottery, yoga, surfing, skiing, snowboarding,
            sailing, fishing, camping, board games, video games, crossword puzzles, sudoku, stargazing, dancing salsa,
            learning languages, collecting stamps, origami, calligraphy, bouldering, table tennis, badminton, tennis,
            football, basketball, volleyball, kayaking, trail running, sewing, embroidery
            """));
    static final ListSource HOBBIES_ZH = ListSource.of("hobby", words("""
            爬山 游泳 骑自行车 跑步 画画 书法 下围棋 下象棋 弹钢琴 弹吉他 唱歌 跳舞 打篮球 踢足球 打羽毛球 打乒乓球 钓鱼 露营
            摄影 做饭 烘焙 养花 读书 写诗 看电影 玩游戏 拼乐高 做陶艺 练太极 打网球 滑雪 冲浪 编织 剪纸 品茶 旅行
            """));

    static final ListSource MUSIC_EN = ListSource.of("music", lines("""
            jazz, classical music, rock, punk, heavy metal, hip hop, reggae, blues, country music, folk music, techno,
            house music, k-pop, j-pop, bossa nova, soul, funk, opera, ambient music, indie pop, salsa, flamenco
            """));
    static final ListSource MUSIC_ZH = ListSource.of("music", words("""
            爵士乐 古典音乐 摇滚 民谣 流行音乐 说唱 蓝调 电子音乐 京剧 粤剧 古筝曲 二胡曲 轻音乐 乡村音乐 歌剧 韩国流行音乐
            """));

    static final ListSource LANGUAGES_EN = ListSource.of("language", lines("""
            Spanish, French, German, Italian, Portuguese, Dutch, Swedish, Norwegian, Finnish, Polish, Czech, Greek,
            Turkish, Arabic, Hebrew, Hindi, Japanese, Korean, Mandarin, Cantonese, Vietnamese, Thai, Swahili, Russian,
            Ukrainian, Icelandic, Welsh, Irish
            """));
    static final ListSource LANGUAGES_ZH = ListSource.of("language", words("""
            英语 日语 韩语 法语 德语 西班牙语 意大利语 葡萄牙语 俄语 阿拉伯语 泰语 越南语 粤语 荷兰语 瑞典语 希腊语
            """));

    static final ListSource ALLERGENS_EN = ListSource.of("allergen", lines("""
            peanuts, shellfish, cats, dogs, pollen, dust mites, penicillin, eggs, milk, soy, wheat, sesame, almonds,
            strawberries, kiwi fruit, bee stings, latex, mould, walnuts, celery, mustard
            """));
    static final ListSource ALLERGENS_ZH = ListSource.of("allergen", words("""
            花生 海鲜 猫毛 狗毛 花粉 尘螨 青霉素 鸡蛋 牛奶 芒果 小麦 芝麻 坚果 虾 蟹 桃子 菠萝 酒精
            蜂蜜 榴莲 猕猴桃 大豆 柳絮 羊毛 香水 乳胶 阿司匹林 蚊子叮咬 花椒 荞麦
            """));

    static final NumberSource AGES = new NumberSource("number", 16, 90);
    static final NumberSource NUMBERS = new NumberSource("number", 1, 999);
    static final DateSource DAYS = new DateSource("date", false);
    static final DateSource DATES = new DateSource("date", true);

    private static List<String> compose(List<String> first, List<String> second) {
        List<String> out = new ArrayList<>();
        for (String a : first) for (String b : second) out.add(a + b);
        return out;
    }

    /** Every list pool, for tests and statistics. */
    static List<ListSource> listSources() {
        return List.of(NAMES_EN, NAMES_ZH, PET_NAMES, PET_NAMES_ZH, CITIES_EN, CITIES_ZH, JOBS_EN, JOBS_ZH,
                COMPANIES, PROJECTS, FOODS_EN, FOODS_ZH, COLOURS_EN, COLOURS_ZH, DRINKS_EN, DRINKS_ZH, HOBBIES_EN,
                HOBBIES_ZH, MUSIC_EN, MUSIC_ZH, LANGUAGES_EN, LANGUAGES_ZH, ALLERGENS_EN, ALLERGENS_ZH);
    }
}
