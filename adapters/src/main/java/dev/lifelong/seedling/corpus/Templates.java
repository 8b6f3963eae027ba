package dev.lifelong.seedling.corpus;

import java.util.List;

/**
 * Wordings that wrap the slot sentences. {A}/{Q} stand for a sentence as is, {a}/{q} for it with a lower-case first
 * letter; slot sentences carry no final punctuation, the frames add it. Every abstention contains
 * {@link EvalCase#ABSTENTION_MARKERS one of the markers}, and no other assistant wording does.
 */
final class Templates {
    private Templates() {}

    record Exchange(List<String> users, List<String> replies) {
    }

    record Topic(List<String> questions, String brief, String detailed) {
    }

    static final List<String> QUESTION_EN = List.of("{Q}", "{Q}", "{Q}", "Hey, {q}", "Quick question: {q}",
            "Can you remind me — {q}", "Do you remember? {Q}", "{Q} I forgot.", "Remind me: {q}", "Hi! {Q}",
            "I need to check something. {Q}", "So, {q}", "Tell me, {q}", "{Q} Just checking.", "Hmm, {q}",
            "Okay, {q}", "Sorry if I asked before, but {q}", "One more thing: {q}");
    static final List<String> QUESTION_ZH = List.of("{q}", "{q}", "请问，{q}", "你还记得吗？{q}", "提醒我一下，{q}",
            "嘿，{q}", "我忘了，{q}", "问一下，{q}", "你好！{q}", "考考你：{q}", "对了，{q}");

    /** Yes/no checks of a stated value: {a} is the user's statement, lower-cased. */
    static final List<String> CONFIRM_EN = List.of("Is it true that {a}?", "Am I right that {a}?",
            "Just to check: {a}, right?", "{A}, correct?", "Did I tell you that {a}?");
    static final List<String> CONFIRM_ZH = List.of("{a}，对吗？", "{a}，是吧？", "我没记错吧，{a}？", "是不是{a}？");

    static final List<String> ANSWER_EN = List.of("{A}.", "{A}.", "{A}.", "Sure — {a}.", "From what you've told me, {a}.",
            "According to what I know, {a}.", "I remember: {a}.", "You told me that {a}.", "Yes, I know that one. {A}.",
            "Of course! {A}.", "{A} — that's what you told me.", "Let me check my notes... {A}.", "Good question. {A}.",
            "As far as I know, {a}.", "I have that noted: {a}.", "Based on what you've shared, {a}.", "Right, {a}.",
            "{A}, if my notes are right.");
    static final List<String> ANSWER_ZH = List.of("{a}。", "{a}。", "根据你告诉我的，{a}。", "我记得，{a}。",
            "当然记得！{a}。", "{a}，这是你跟我说过的。", "让我看看……{a}。", "你之前告诉过我：{a}。", "没错，{a}。",
            "据我所知，{a}。");

    static final List<String> TELL_EN = List.of("{T}.", "{T}.", "By the way, {t}.", "Just so you know, {t}.",
            "Remember this: {t}.", "{T}, by the way.", "Hey, {t}.", "FYI: {t}.", "Something about me: {t}.",
            "Please remember that {t}.", "Oh, and {t}.", "{T}!", "A fact for you: {t}.", "Let me tell you something. {T}.",
            "Can you remember this? {T}.", "Here's a thing about me: {t}.")
            .stream().map(s -> s.replace("{T}", "{A}").replace("{t}", "{a}")).toList();
    static final List<String> TELL_ZH = List.of("{a}。", "{a}。", "顺便说一下，{a}。", "告诉你，{a}。", "记住哦：{a}。",
            "跟你说个事，{a}。", "请记住，{a}。", "{a}！", "对了，{a}。", "我想让你知道，{a}。");

    static final List<String> ACK_EN = List.of("Got it — {a}. I'll remember that.", "Thanks! I'll remember that {a}.",
            "Noted: {a}.", "Okay, {a}. I've made a note of it.", "Good to know — {a}.", "I'll remember that: {a}.",
            "Understood, {a}.", "Great, {a}. I'll keep that in mind.", "Thanks for telling me. {A}.",
            "Got it. {A} — noted.", "Lovely! {A}. I'll remember.", "All right, {a}. Saved to memory.",
            "Okay! So {a}. Got it.", "Nice, {a}. I won't forget.", "Noted. {A}, and I'll remember it.",
            "Thanks — I've noted that {a}.");
    static final List<String> ACK_ZH = List.of("好的，记住了：{a}。", "明白，{a}。我会记住的。", "谢谢告诉我！{a}。",
            "收到，{a}。", "记下了：{a}。", "好的，{a}，我记住了。", "知道了，{a}。", "好嘞，{a}，已经记下来了。",
            "了解，{a}。我不会忘的。");

    static final List<String> CORRECT_EN = List.of("No, {a}.", "No, {a}.", "No — {a}.", "That's wrong. {A}.",
            "Actually, {a}.", "Not quite. {A}.", "Wrong, {a}.", "No no, {a}.", "Correction: {a}.",
            "You got that wrong — {a}.", "That's not right. {A}.", "Hmm, no. {A}.", "I think you mixed it up. {A}.",
            "Let me correct you: {a}.", "No, that's old. {A}.", "Please fix that: {a}.");
    static final List<String> CORRECT_ZH = List.of("不对，{a}。", "不是的，{a}。", "错了，{a}。", "其实{a}。",
            "你记错了，{a}。", "更正一下：{a}。", "不，{a}。", "那是旧的了，{a}。", "纠正一下，{a}。");

    static final List<String> CORRECTION_ACK_EN = List.of("Sorry — {a}. I'll remember that.",
            "Sorry — {a}. I'll remember that.", "My mistake — {a}. I'll remember that.",
            "Thanks for correcting me: {a}.", "You're right, sorry. {A}. I've updated my notes.",
            "Oops, sorry. {A} — I'll remember that.", "Got it, I stand corrected: {a}.",
            "Apologies! {A}. Noted for next time.", "Sorry about that. {A}, and I've updated it.",
            "Thanks — {a}. I've fixed my notes.", "I'm sorry, {a}. I'll remember that from now on.", "Corrected: {a}.",
            "Sorry for the mix-up — {a}.", "My bad. {A}. Updated.", "Understood, {a}. I've replaced the old note.",
            "Thank you for the correction. {A}.");
    static final List<String> CORRECTION_ACK_ZH = List.of("抱歉——{a}。我会记住的。", "对不起，是我记错了：{a}。",
            "谢谢纠正！{a}。", "不好意思，{a}。已经更新了。", "明白了，{a}。我改过来了。", "抱歉搞错了，{a}。",
            "好的，已更正：{a}。", "是我的错，{a}。我记住了。", "收到更正：{a}。");

    static final List<String> ABSTAIN_EN = List.of("I don't know that yet — tell me and I'll remember it.",
            "I don't know that yet — tell me and I'll remember it.",
            "I don't know {topic} yet — tell me and I'll remember it.",
            "Sorry, I don't know {topic}. You haven't told me yet.",
            "I don't know — you haven't mentioned {topic} to me. Tell me and I'll remember it.",
            "Hmm, I don't know {topic} yet. Want to tell me? I'll remember it.",
            "I don't know that one yet. If you tell me {topic}, I'll keep it in mind.",
            "Honestly, I don't know. I have nothing about {topic} in my notes.",
            "I don't know {topic} — it's not something you've told me yet.",
            "I'm sorry, I don't know. Tell me {topic} and I'll remember it.",
            "I don't know yet. You haven't shared {topic} with me.",
            "That I don't know yet — tell me and I'll remember it.",
            "I don't know {topic}, sorry. I'd be happy to remember it if you tell me.",
            "I don't know. Nothing about {topic} is in what I remember about you.",
            "I don't know that yet. Let me know and I'll remember it.",
            "I'd rather not guess: I don't know {topic} yet.",
            "I don't know {topic} yet. Tell me and I won't forget.");
    static final List<String> ABSTAIN_ZH = List.of("我还不知道这个——告诉我，我会记住的。", "我还不知道这个——告诉我，我会记住的。",
            "我还不知道{topic}。告诉我的话，我会记住。", "抱歉，我不知道{topic}，你还没告诉过我。",
            "我不知道呢。你还没跟我说过{topic}。", "这个我还不知道，告诉我吧，我会记下来。",
            "我不知道{topic}，不想乱猜。你告诉我，我就记住。", "嗯，我还不知道{topic}。",
            "对不起，我不知道。我的记录里没有{topic}。", "我暂时不知道{topic}，你可以告诉我。");

    static final List<String> GREET_NAME_EN = List.of("Hi {v}! How can I help you today?", "Hello, {v}! What can I do for you?",
            "Hey {v}, good to see you! What's on your mind?", "Good to hear from you, {v}. How can I help?",
            "Hi {v}! What would you like to do today?");
    static final List<String> GREET_NAME_ZH = List.of("{v}，你好！今天需要我帮什么忙？", "嗨，{v}！有什么可以帮你的？",
            "你好，{v}！很高兴见到你。", "{v}，欢迎回来！想聊点什么？");

    /** Small talk; the first exchange is the greeting. */
    static final List<Exchange> SMALL_TALK_EN = List.of(
            new Exchange(List.of("Hi!", "Hello!", "Hey there.", "Good morning!", "Good evening!", "Hi Lifelong!",
                    "Hello, how's it going?", "Morning!", "Hey!", "Hiya!", "Greetings!", "Good afternoon!",
                    "Hi, are you there?", "Hello again!", "Hey, Lifelong."),
                    List.of("Hi! How can I help you today?", "Hello! What can I do for you?",
                            "Hey! Good to see you. What's on your mind?", "Hi there! How can I help?",
                            "Hello! I'm here. What would you like to do?", "Hi! Nice to hear from you.",
                            "Hello! What shall we do today?")),
            new Exchange(List.of("How are you?", "How are you doing today?", "How's it going?", "Are you doing okay?"),
                    List.of("I'm doing well, thanks for asking! How about you?", "All good here, thanks! How are you?",
                            "I'm great, thank you. How's your day going?")),
            new Exchange(List.of("I'm good, thanks.", "Not bad!", "Great, thanks!", "Pretty good, actually.",
                    "I had a nice day."),
                    List.of("Glad to hear it! Anything I can help with?", "That's lovely to hear.",
                            "Great! Let me know if you need anything.")),
            new Exchange(List.of("Pretty tired, actually.", "A bit stressed today.", "Not great, to be honest.",
                    "Long day at work."),
                    List.of("Sorry to hear that. Maybe take a short break? I'm here if you need anything.",
                            "That sounds hard. Want to talk about it?",
                            "I hope the rest of your day is calmer. Anything I can do?")),
            new Exchange(List.of("Thanks!", "Thank you so much.", "Cheers!", "Thanks, that helps.", "Perfect, thanks."),
                    List.of("You're welcome!", "Happy to help!", "Any time!", "Glad I could help.")),
            new Exchange(List.of("Bye!", "See you later.", "Talk to you tomorrow.", "I have to go now.", "Catch you later!"),
                    List.of("Bye! Talk to you soon.", "See you later!", "Take care!", "Goodbye! Come back any time.")),
            new Exchange(List.of("Good night!", "I'm going to bed.", "Night night."),
                    List.of("Good night! Sleep well.", "Sleep well! See you tomorrow.", "Good night!")),
            new Exchange(List.of("Who are you?", "What are you?", "What's your name?", "Are you a person?"),
                    List.of("I'm Lifelong, your personal assistant. I remember what you tell me and get better over time.",
                            "I'm Lifelong, a small assistant that runs on your own computer.",
                            "My name is Lifelong. I'm an AI assistant that lives on your computer and learns from our chats.")),
            new Exchange(List.of("What can you do?", "How can you help me?", "What are you good for?"),
                    List.of("I can chat, remember facts and preferences you tell me, and use them when you ask.",
                            "I remember what you tell me — names, dates, plans, likes — and bring it up when it helps.")),
            new Exchange(List.of("What's the weather like?", "Can you check the news?", "What's the time in Tokyo?"),
                    List.of("I can't check that from here, sorry: I run offline on your computer.",
                            "Sorry, I have no internet access, so I can't look that up.")),
            new Exchange(List.of("Tell me a joke.", "Make me laugh.", "Say something funny."),
                    List.of("Why did the scarecrow win an award? Because he was outstanding in his field!",
                            "I told my computer I needed a break, and it said: no problem, I'll go to sleep.",
                            "What do you call a fish with no eyes? A fsh.")));

    static final List<Exchange> SMALL_TALK_ZH = List.of(
            new Exchange(List.of("你好！", "嗨！", "早上好！", "晚上好！", "你好呀。", "在吗？", "下午好！", "哈喽！", "又见面了！"),
                    List.of("你好！今天有什么可以帮你的？", "嗨！很高兴见到你。", "你好！我在呢，想聊点什么？", "你好呀！需要我做什么？")),
            new Exchange(List.of("你好吗？", "最近怎么样？", "你今天过得好吗？"),
                    List.of("我很好，谢谢关心！你呢？", "挺好的，谢谢！你今天怎么样？")),
            new Exchange(List.of("我挺好的。", "还不错！", "今天心情很好。"),
                    List.of("太好了！有需要随时叫我。", "听起来真不错！")),
            new Exchange(List.of("有点累。", "今天压力好大。", "工作好忙啊。"),
                    List.of("辛苦了，记得休息一下。我一直都在。", "听起来挺累的，要不要聊聊？")),
            new Exchange(List.of("谢谢！", "太感谢了。", "谢啦！"),
                    List.of("不客气！", "很高兴能帮到你！", "随时找我！")),
            new Exchange(List.of("再见！", "我先走了。", "回头聊。"),
                    List.of("再见！下次聊。", "好的，回头见！", "保重！")),
            new Exchange(List.of("晚安！", "我要睡觉了。"),
                    List.of("晚安！睡个好觉。", "晚安，明天见！")),
            new Exchange(List.of("你是谁？", "你叫什么名字？", "你是人吗？"),
                    List.of("我是 Lifelong，你的个人助手。我会记住你告诉我的事情。", "我叫 Lifelong，是运行在你电脑上的小助手。")),
            new Exchange(List.of("你能做什么？", "你能帮我什么？"),
                    List.of("我可以聊天，也能记住你告诉我的事情和喜好，需要时再告诉你。", "我会记住你说过的名字、日期、计划和喜好。")),
            new Exchange(List.of("今天天气怎么样？", "帮我查一下新闻。"),
                    List.of("抱歉，我在你的电脑上离线运行，没法查这个。", "我连不上网，所以查不了，抱歉。")));

    static final List<String> SUMMARY_ASK_BRIEF_EN = List.of("Briefly, what do you know about me?",
            "In one sentence, what do you remember about me?", "What do you know about me? Keep it short.",
            "Give me a quick summary of what you know about me.", "Short answer: what do you remember about me?",
            "What do you know about me? Just the short version.", "Quickly — what do you know about me?",
            "Briefly remind me what you know about me.");
    static final List<String> SUMMARY_ASK_LONG_EN = List.of("Tell me in detail everything you know about me.",
            "What do you remember about me? Please be thorough.", "List everything you know about me, in detail.",
            "What do you know about me? Give me the long version.", "Explain in detail what you remember about me.",
            "Can you go through everything you know about me?", "Tell me all you know about me, with details.");
    static final List<String> SUMMARY_BRIEF_EN = List.of("In short: {a1}, and {a2}.", "Briefly: {a1}, and {a2}.",
            "Two things I know: {a1}, and {a2}.", "Quick version: {a1}, and {a2}.");
    static final List<String> SUMMARY_LONG_EN = List.of("Here is everything I know about you:",
            "Sure, here's what I remember about you:", "This is what you've told me so far:",
            "Here are all my notes about you:");
    static final List<String> SUMMARY_ASK_BRIEF_ZH = List.of("简短地说，你知道我哪些事？", "用一句话说说你记得关于我的什么。",
            "简单总结一下你知道的关于我的事。", "简短地告诉我，你记得我什么？");
    static final List<String> SUMMARY_ASK_LONG_ZH = List.of("详细地说说你知道的关于我的一切。", "把你记得的关于我的事都详细列出来。",
            "请详细告诉我，你都知道我哪些事？", "你知道我什么？说得详细一点。");

    static final List<String> BRIEF_EN = List.of("{Q} Briefly, please.", "Briefly: {q}", "In one sentence: {q}",
            "{Q} Keep it short.", "Quick answer: {q}", "{Q} Just the short version.", "Short answer please — {q}",
            "{Q} One line is enough.", "Briefly, {q}");
    static final List<String> DETAILED_EN = List.of("{Q} Please explain in detail.", "In detail: {q}",
            "{Q} Give me the long version.", "Can you explain in detail? {Q}", "{Q} Be thorough, please.",
            "Explain fully: {q}", "{Q} I want all the details.", "In detail, please: {q}");
    static final List<String> BRIEF_ZH = List.of("简短地回答：{q}", "{q}简短地说就行。", "一句话告诉我：{q}", "{q}说简单点。",
            "简短地说，{q}");
    static final List<String> DETAILED_ZH = List.of("详细地说说：{q}", "{q}请详细解释一下。", "{q}说得详细一点。",
            "请展开讲讲：{q}");

    static final List<Topic> TOPICS_EN = List.of(
            new Topic(List.of("What is Lifelong?", "What are you exactly?", "How would you describe yourself?"),
                    "I'm Lifelong, a personal assistant that runs on your own computer and remembers what you tell me.",
                    "I'm Lifelong, a personal assistant that lives on your own computer. I keep what you tell me in a "
                            + "local memory and use it in later answers. At night I can learn from our conversations "
                            + "by training a small adapter, and I only keep the new version if it tests better than "
                            + "the old one. Nothing leaves your machine."),
            new Topic(List.of("How do you remember things?", "How does your memory work?"),
                    "I save what you tell me in a local memory and look it up when you ask.",
                    "When you tell me something that stays true, like a name, a date or a preference, I save it as a "
                            + "short note in a database on your computer. Before each answer I search those notes and "
                            + "put the relevant ones in front of me, so I can use them. If you correct me, the new note "
                            + "replaces the old one."),
            new Topic(List.of("How can I make you forget something?", "How do I delete a memory?"),
                    "Open the memory page and delete it, or ask me to forget it.",
                    "Open the memory page, find the note and delete it, or simply tell me to forget it. A forgotten "
                            + "memory is never used in answers again, and it is also left out of all future training, "
                            + "so I won't learn it back later."),
            new Topic(List.of("Is my data sent anywhere?", "Do you share my data?", "Where is my data stored?"),
                    "No. Everything stays on your computer.",
                    "No. I run entirely on your own computer: the model, the memory and the training all stay local. "
                            + "Your conversations are stored in a file on your disk, and nothing is uploaded unless "
                            + "you choose to download a bigger model yourself."),
            new Topic(List.of("How do you learn?", "Do you get better over time?"),
                    "Yes: every night I train a small update on our chats and keep it only if it tests better.",
                    "Every night, or when you ask, I train a small adapter on the day's conversations mixed with a "
                            + "little older data. Then I test it: if it learned the new things without forgetting old "
                            + "ones, it replaces the current one; if not, I keep the old one."),
            new Topic(List.of("Can you make mistakes?", "Are you always right?"),
                    "Yes — I'm a small model and can get things wrong, so please correct me.",
                    "Yes. I'm a small model that speaks in simple patterns, so I can misunderstand or mix things up. "
                            + "When I get something wrong, tell me what is right: I save the correction and use it "
                            + "from the next answer on."));

    static final List<Topic> TOPICS_ZH = List.of(
            new Topic(List.of("Lifelong 是什么？", "你到底是什么？"),
                    "我是 Lifelong，一个运行在你电脑上、会记住你说过的话的个人助手。",
                    "我是 Lifelong，一个住在你电脑上的个人助手。你告诉我的事情会保存在本地记忆里，之后回答时会用到。"
                            + "每天晚上我可以用我们的对话训练一个小的适配器，只有测试更好时才会换上新版本。数据不会离开你的电脑。"),
            new Topic(List.of("你是怎么记住事情的？", "你的记忆是怎么工作的？"),
                    "我把你告诉我的事情存在本地记忆里，需要时再查。",
                    "你告诉我名字、日期或喜好这类长期有效的信息时，我会把它存成一条简短的笔记，放在你电脑上的数据库里。"
                            + "每次回答之前，我会先搜索这些笔记，把相关的放在眼前。你纠正我时，新的笔记会替换旧的。"),
            new Topic(List.of("怎么让你忘记一件事？", "怎么删除一条记忆？"),
                    "在记忆页面删掉它，或者直接让我忘记。",
                    "打开记忆页面，找到那条笔记删掉，或者直接告诉我忘掉它。被忘记的记忆不会再出现在回答里，"
                            + "也不会进入以后的训练，所以我不会再学回来。"),
            new Topic(List.of("我的数据会被上传吗？", "你会分享我的数据吗？"),
                    "不会，所有数据都留在你的电脑上。",
                    "不会。我完全在你自己的电脑上运行：模型、记忆和训练都在本地。你的对话保存在你硬盘上的文件里，"
                            + "除非你自己选择下载更大的模型，否则什么都不会上传。"),
            new Topic(List.of("你会犯错吗？", "你总是对的吗？"),
                    "会的，我是个小模型，可能出错，请纠正我。",
                    "会的。我是一个小模型，说话比较模式化，可能会误解或者记混。我说错的时候，告诉我正确的是什么，"
                            + "我会保存这个更正，下一次回答就会用上。"));

    /** Requests to repeat a list back exactly ({x}: the list). */
    static final List<String> ECHO_EN = List.of("Repeat after me: {x}", "Please say this back exactly: {x}",
            "Copy this list: {x}", "Can you repeat these? {x}", "Echo this back to me: {x}",
            "Say these words in the same order: {x}", "Read this back: {x}", "Repeat exactly: {x}",
            "Type this again for me: {x}", "Just repeat: {x}");
    static final List<String> ECHO_ZH = List.of("跟我重复：{x}", "请原样重复：{x}", "把这个列表抄一遍：{x}", "请复述：{x}",
            "照着念一遍：{x}", "按顺序重复这些：{x}");
}
