package dev.lifelong.seedling.corpus;

import java.nio.file.Path;
import java.util.List;

/**
 * {@code CorpusMain --seed 1 --conversations 20000 --out corpus.jsonl [--eval-out eval.jsonl] [--eval-conversations 1000]}:
 * writes the training corpus (and the held-out evaluation set) and prints its statistics.
 */
public final class CorpusMain {
    private CorpusMain() {}

    public static void main(String[] args) {
        long seed = 1;
        int conversations = 20000;
        int evalConversations = 1000;
        Path out = null;
        Path evalOut = null;
        try {
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                if (i + 1 >= args.length) throw new IllegalArgumentException("missing value after " + a);
                String v = args[++i];
                switch (a) {
                    case "--seed" -> seed = Long.parseLong(v);
                    case "--conversations" -> conversations = Integer.parseInt(v);
                    case "--eval-conversations" -> evalConversations = Integer.parseInt(v);
                    case "--out" -> out = Path.of(v);
                    case "--eval-out" -> evalOut = Path.of(v);
                    default -> throw new IllegalArgumentException("unknown option " + a);
                }
            }
            if (out == null) throw new IllegalArgumentException("--out is required");
            if (conversations < 1 || evalConversations < 1) {
                throw new IllegalArgumentException("counts must be at least 1");
            }
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            System.err.println("usage: CorpusMain --seed N --conversations N --out FILE [--eval-out FILE] "
                    + "[--eval-conversations N]");
            System.exit(2);
            return;
        }
        CorpusGenerator generator = new CorpusGenerator(seed);
        List<GeneratedConversation> train = generator.generate(Split.TRAIN, conversations);
        CorpusFiles.writeExamples(train.stream().map(GeneratedConversation::example).toList(), out);
        System.out.println("training corpus " + out + " (seed " + seed + ")");
        System.out.print(CorpusStats.of(train).format());
        if (evalOut != null) {
            CorpusFiles.writeEval(generator.eval(evalConversations), evalOut);
            System.out.println("evaluation set " + evalOut + ": " + evalConversations + " cases");
            System.out.print(CorpusStats.of(generator.generate(Split.EVAL, evalConversations)).format());
        }
    }
}
