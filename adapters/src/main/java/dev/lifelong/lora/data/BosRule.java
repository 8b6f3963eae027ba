package dev.lifelong.lora.data;

import dev.lifelong.gguf.GgufFile;
import dev.lifelong.gguf.GgufReader;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * Whether llama.cpp b4916 puts a beginning-of-sequence token in front of a prompt it tokenizes for a completion, and
 * which. Its rule (llama-vocab.cpp): SentencePiece and WordPiece vocabularies add BOS; byte-level BPE vocabularies add
 * it only for the pre-tokenizers of Llama 3, Falcon 3, Tekken and Chameleon; {@code tokenizer.ggml.add_bos_token}
 * overrides both. Training must follow it exactly, or every example is off by one token from what serving feeds.
 *
 * @param text the BOS token's text (chat templates such as Llama 3's write it themselves)
 */
public record BosRule(boolean adds, int id, String text) {
    private static final Set<String> BPE_PRE_TOKENIZERS_WITH_BOS = Set.of("llama3", "llama-v3", "llama-bpe", "falcon3",
            "tekken", "chameleon");

    public static BosRule of(Path gguf) {
        try (GgufFile f = GgufReader.read(gguf)) {
            return of(f);
        }
    }

    public static BosRule of(GgufFile meta) {
        String model = meta.findString("tokenizer.ggml.model").orElse("llama");
        String pre = meta.findString("tokenizer.ggml.pre").orElse("default");
        boolean adds = switch (model) {
            case "llama", "bert" -> true;
            case "gpt2" -> BPE_PRE_TOKENIZERS_WITH_BOS.contains(pre);
            default -> false;
        };
        adds = meta.findBoolean("tokenizer.ggml.add_bos_token").orElse(adds);
        int id = meta.findLong("tokenizer.ggml.bos_token_id").map(Long::intValue)
                .orElse(model.equals("llama") ? 1 : -1);
        String text = null;
        if (id >= 0 && meta.metadata().get("tokenizer.ggml.tokens") instanceof List<?> tokens && id < tokens.size()
                && tokens.get(id) instanceof String s) {
            text = s;
        }
        return new BosRule(adds && id >= 0, id, text);
    }

    /** A rule for callers without a model file: no BOS. */
    public static final BosRule NONE = new BosRule(false, -1, null);
}
