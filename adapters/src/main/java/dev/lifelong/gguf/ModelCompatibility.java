package dev.lifelong.gguf;

import java.util.List;
import java.util.Set;

/**
 * Refuses model files that the llama.cpp embedded in java-llama.cpp 4.2.0 (b4916, March 2025) cannot load, before
 * native code sees them: there a bad file means an opaque error or a crash, here it is a message the user can act on.
 */
public final class ModelCompatibility {
    /**
     * LLM_ARCH_NAMES of llama-arch.cpp in b4916. Checked against libjllama.so of 4.2.0: each of these fails later than
     * the architecture lookup, while qwen3, llama4, glm4, gemma3n, plm, bailingmoe and solar are "unknown model
     * architecture" there.
     */
    public static final Set<String> SUPPORTED_ARCHITECTURES = Set.of(
            "llama", "deci", "falcon", "grok", "gpt2", "gptj", "gptneox", "mpt", "baichuan", "starcoder", "refact",
            "bert", "nomic-bert", "jina-bert-v2", "bloom", "stablelm", "qwen", "qwen2", "qwen2moe", "qwen2vl", "phi2",
            "phi3", "phimoe", "plamo", "codeshell", "orion", "internlm2", "minicpm", "minicpm3", "gemma", "gemma2",
            "gemma3", "starcoder2", "mamba", "xverse", "command-r", "cohere2", "dbrx", "olmo", "olmo2", "olmoe",
            "openelm", "arctic", "deepseek", "deepseek2", "chatglm", "bitnet", "t5", "t5encoder", "jais", "nemotron",
            "exaone", "rwkv6", "rwkv6qwen2", "rwkv7", "arwkv7", "granite", "granitemoe", "chameleon",
            "wavtokenizer-dec");

    private static final String RUNTIME = "the llama.cpp b4916 (March 2025) embedded in java-llama.cpp 4.2.0";
    private static final String SUGGESTION = "use a llama, qwen2, gemma2/gemma3, phi3, mistral (llama) or similar model";

    private ModelCompatibility() {
    }

    /** Throws a {@link GgufFormatException} saying why the file cannot be used as a model; returns if it can. */
    public static void check(GgufFile file) {
        String where = file.path() + ": ";
        if ("adapter".equals(file.metadata().get("general.type"))) {
            throw new GgufFormatException(where + "this is a LoRA adapter, not a model; load it on top of its base model");
        }
        if (!(file.metadata().get("general.architecture") instanceof String arch)) {
            throw new GgufFormatException(where + "no general.architecture in the metadata; this is not a llama.cpp model");
        }
        if (!SUPPORTED_ARCHITECTURES.contains(arch)) {
            throw new GgufFormatException(where + "architecture '" + arch + "' is " + (arch.equals("clip")
                    ? "a vision projector, not a language model" : "newer than " + RUNTIME + " or unknown to it")
                    + "; " + SUGGESTION);
        }
        if (file.tensors().isEmpty()) {
            throw new GgufFormatException(where + "the file has no tensors (no weights); it is not a usable model");
        }
        if (file.tensor("token_embd.weight").isEmpty()) {
            throw new GgufFormatException(where + "the token embedding tensor 'token_embd.weight' is missing");
        }
        if (file.tensors().stream().noneMatch(t -> t.name().startsWith("blk."))) {
            throw new GgufFormatException(where + "the file has no layer tensors (blk.*); it is not a complete model");
        }
        if (!(file.metadata().get("tokenizer.ggml.tokens") instanceof List<?> tokens) || tokens.isEmpty()) {
            throw new GgufFormatException(where + "the file has no vocabulary (tokenizer.ggml.tokens); "
                    + "llama.cpp cannot tokenize text for it");
        }
        if (!(file.metadata().get("tokenizer.ggml.model") instanceof String)) {
            throw new GgufFormatException(where + "the file does not say which tokenizer it uses (tokenizer.ggml.model)");
        }
    }
}
