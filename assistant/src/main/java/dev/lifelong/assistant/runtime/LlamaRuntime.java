package dev.lifelong.assistant.runtime;

import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaIterator;
import de.kherud.llama.LlamaModel;
import de.kherud.llama.LlamaOutput;
import de.kherud.llama.ModelParameters;
import de.kherud.llama.args.LogFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * One loaded GGUF model in llama.cpp. Thread-safe: llama.cpp's server loop schedules concurrent requests onto
 * {@link RuntimeOptions#parallel()} slots, so several answers progress at once.
 */
public final class LlamaRuntime implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LlamaRuntime.class);
    private static final Logger nativeLog = LoggerFactory.getLogger("llama.cpp");
    private static final AtomicBoolean loggerInstalled = new AtomicBoolean();

    private final LlamaModel model;
    private final Path file;
    private final RuntimeOptions options;
    private final List<Path> adapters;
    private final dev.lifelong.lora.data.BosRule bos;
    private final AtomicInteger active = new AtomicInteger();
    private final int longestToken;
    private volatile boolean closed;

    private LlamaRuntime(LlamaModel model, Path file, RuntimeOptions options, List<Path> adapters, int longestToken) {
        this.model = model;
        this.file = file;
        this.options = options;
        this.adapters = List.copyOf(adapters);
        this.bos = dev.lifelong.lora.data.BosRule.of(file);
        this.longestToken = longestToken;
    }

    /**
     * Loads a model file. The caller validates the file first ({@code ModelFiles.check}): llama.cpp may abort the
     * whole JVM on some malformed files instead of reporting an error.
     */
    public static LlamaRuntime load(Path file, RuntimeOptions options) {
        return load(file, options, List.of());
    }

    /**
     * Loads a model with a LoRA adapter that each request switches on or off ({@link #generate(List, GenerationOptions,
     * int, Consumer, Cancellation)} with index 0 or {@link #BASE}); without a selection a request uses the base model.
     * Several users' adapters are served by several instances over the same base file: llama.cpp memory-maps it, so
     * the OS keeps one copy of the weights.
     */
    public static LlamaRuntime load(Path file, RuntimeOptions options, List<Path> adapters) {
        if (Thread.currentThread().isVirtual()) {
            // loading blocks in native code for seconds, which would pin the carrier of a request's virtual thread
            RuntimeOptions requested = options;
            return onPlatformThread(() -> load(file, requested, adapters));
        }
        if (adapters.size() > 1) {
            // ModelParameters keeps its flags in a HashMap, so a second addLoraAdapter replaces the first
            throw new IllegalArgumentException("java-llama.cpp 4.2.0 loads at most one LoRA adapter per model instance; "
                    + "serve each user's adapter from its own instance over the same base file");
        }
        installNativeLogger();
        options = withinTrainingContext(file, options);
        ModelParameters params = modelParameters(file, options, adapters);
        try {
            long t0 = System.nanoTime();
            LlamaModel model = new LlamaModel(params);
            log.info("Loaded {} in {} ms ({} threads, {} slots of {} tokens)", file.getFileName(),
                    (System.nanoTime() - t0) / 1_000_000, options.threads(), options.parallel(), options.contextSize());
            return new LlamaRuntime(model, file, options, adapters, longestToken(file));
        } catch (RuntimeException e) {
            throw new ModelLoadException("llama.cpp could not load " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * The llama.cpp settings a runtime with these (already capped) options loads its model with. Public so that the
     * serving benchmark's direct side does exactly the work the server does (same KV cells, slots, threads).
     */
    public static ModelParameters modelParameters(Path file, RuntimeOptions options, List<Path> adapters) {
        ModelParameters params = new ModelParameters()
                .setModel(file.toAbsolutePath().toString())
                .setThreads(options.threads())
                .setThreadsBatch(options.threads())
                .setCtxSize(options.contextSize() * options.parallel() * KV_HEADROOM)
                .setParallel(options.parallel())
                // slots share one KV cache; as conversations grow and switch, free cells fragment until a prompt that
                // fits in total finds no room ("input prompt is too big compared to KV size", seen under load)
                .setDefragThold(0.1f)
                .enableJinja()
                // llama.cpp's server log goes straight to stdout; ggml/llama messages still reach our logger
                .disableLog();
        // the flag alone makes a CPU-only build print a warning, so pass it only when layers are wanted
        if (options.gpuLayers() > 0) params.setGpuLayers(options.gpuLayers());
        for (Path adapter : adapters) params.addLoraAdapter(adapter.toAbsolutePath().toString());
        if (!adapters.isEmpty()) params.setLoraInitWithoutApply();
        return params;
    }

    private static <T> T onPlatformThread(java.util.function.Supplier<T> work) {
        var result = new java.util.concurrent.atomic.AtomicReference<T>();
        var failure = new java.util.concurrent.atomic.AtomicReference<RuntimeException>();
        Thread t = new Thread(() -> {
            try {
                result.set(work.get());
            } catch (RuntimeException e) {
                failure.set(e);
            }
        }, "model-load");
        t.setDaemon(true);
        t.start();
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ModelLoadException("interrupted while loading", e);
        }
        if (failure.get() != null) throw failure.get();
        return result.get();
    }

    /**
     * The longest token of the vocabulary, in characters (each byte of a byte-level BPE token is one character, so it
     * is at least what the token stands for). A prompt longer than contextSize × this cannot fit, whatever it says.
     */
    static int longestToken(Path file) {
        try (var gguf = dev.lifelong.gguf.GgufReader.read(file)) {
            int longest = 1;
            if (gguf.metadata().get("tokenizer.ggml.tokens") instanceof List<?> tokens) {
                for (Object t : tokens) if (t instanceof String s && s.length() > longest) longest = s.length();
            }
            return longest;
        } catch (RuntimeException e) {
            return Integer.MAX_VALUE / 1024; // unknown: no cheap bound
        }
    }

    /**
     * The most characters a prompt can have and still fit the context: more is refused at once, before tokenizing it
     * (1 MiB of text took 1.7 s of CPU to tokenize, only to be refused).
     */
    public long maxPromptChars() { return (long) options.contextSize() * longestToken; }

    /** Throws {@link PromptTooLongException} when a prompt of {@code chars} characters certainly cannot fit. */
    public void refuseIfCertainlyTooLong(long chars) {
        if (chars > maxPromptChars()) {
            throw new PromptTooLongException("the messages are " + chars + " characters long; the context of "
                    + options.contextSize() + " tokens holds at most " + maxPromptChars() + " characters of this model's text");
        }
    }

    /**
     * llama.cpp caps each slot at the model's training context; prompts fitted to a larger configured size would then
     * fail at generation ("input prompt is too big"). So the configured size is capped here too, once, with a warning.
     */
    /**
     * The KV cache is sized at twice the slots' total. With exactly contextSize × parallel, two streams at once failed
     * now and then with llama.cpp's "input prompt is too big compared to KV size" although each prompt fitted its slot
     * (load benchmark: 56 of 153 answers on the tiny model, 4 in a minute on the seedling; with one slot, none); with
     * twice the cells, none. The cost is KV memory only (seedling: ~40 MB; a 0.5B model at 2×2048: ~100 MB).
     */
    static final int KV_HEADROOM = 2;

    static RuntimeOptions withinTrainingContext(Path file, RuntimeOptions options) {
        long trained;
        try (var gguf = dev.lifelong.gguf.GgufReader.read(file)) {
            String arch = gguf.findString("general.architecture").orElse("llama");
            trained = gguf.findLong(arch + ".context_length").orElse(0L);
        } catch (RuntimeException e) {
            return options; // not readable as GGUF here: llama.cpp gives the real error
        }
        if (trained <= 0 || options.contextSize() <= trained) return options;
        log.warn("context-size {} is larger than the {} tokens {} was trained on; using {}", options.contextSize(), trained,
                file.getFileName(), trained);
        return new RuntimeOptions(options.threads(), options.gpuLayers(), (int) Math.max(128, trained), options.parallel());
    }

    private static void installNativeLogger() {
        dev.lifelong.llama.LlamaNative.prepare();
        if (loggerInstalled.compareAndSet(false, true)) {
            LlamaModel.setLogger(LogFormat.TEXT, (level, message) -> {
                String m = message.stripTrailing();
                if (m.isEmpty()) return;
                switch (level) {
                    case ERROR -> nativeLog.error(m);
                    case WARN -> nativeLog.warn(m);
                    default -> nativeLog.debug(m);
                }
            });
        }
    }

    public Path file() { return file; }

    public RuntimeOptions options() { return options; }

    /** The prompt llama.cpp will see for these turns, rendered with the model's chat template. */
    public String renderPrompt(List<ChatTurn> turns) {
        return ChatPromptRenderer.render(model, bos, turns);
    }

    public int countTokens(String text) {
        return model.encode(text).length;
    }

    /** Token ids as llama.cpp tokenizes a prompt (special tokens such as {@code <|im_end|>} are parsed). */
    public int[] tokenize(String text) {
        return model.encode(text);
    }

    /**
     * Generates an answer, calling {@code onToken} with each piece of text as it arrives (on the calling thread).
     * Returns when the model ends its turn, {@code maxTokens} is reached, or {@code cancellation} is set; an exception
     * thrown by {@code onToken} (client gone) cancels the generation and is rethrown.
     */
    public GenerationResult generate(List<ChatTurn> turns, GenerationOptions options, Consumer<String> onToken,
                                     Cancellation cancellation) {
        return generate(turns, options, BASE, onToken, cancellation);
    }

    /** The base model without any adapter. */
    public static final int BASE = -1;

    /** Like {@link #generate(List, GenerationOptions, Consumer, Cancellation)} with adapter {@code adapter} (index into {@link #adapters()}) or {@link #BASE}. */
    public GenerationResult generate(List<ChatTurn> turns, GenerationOptions options, int adapter, Consumer<String> onToken,
                                     Cancellation cancellation) {
        return generateRaw(renderPrompt(turns), options, adapter, onToken, cancellation);
    }

    public List<Path> adapters() { return adapters; }

    /** llama.cpp's GBNF grammar for a JSON schema (its own converter, so the constraint is what the sampler enforces). */
    public static String jsonSchemaGrammar(String schema) {
        dev.lifelong.llama.LlamaNative.prepare();
        return de.kherud.llama.LlamaModel.jsonSchemaToGrammar(schema);
    }

    /** Like {@link #generate} on a prompt that is already rendered (used by benchmarks and tests). */
    public GenerationResult generateRaw(String prompt, GenerationOptions options, Consumer<String> onToken,
                                        Cancellation cancellation) {
        return generateRaw(prompt, options, BASE, onToken, cancellation);
    }

    public GenerationResult generateRaw(String prompt, GenerationOptions options, int adapter, Consumer<String> onToken,
                                        Cancellation cancellation) {
        if (adapter != BASE && (adapter < 0 || adapter >= adapters.size())) {
            throw new IllegalArgumentException("no adapter " + adapter + "; " + adapters.size() + " loaded");
        }
        if (closed) throw new GenerationException("the model was unloaded", null);
        refuseIfCertainlyTooLong(prompt.length());
        int promptTokens = countTokens(prompt);
        int room = this.options.contextSize() - promptTokens;
        if (room < 1) {
            throw new PromptTooLongException("the conversation is " + promptTokens + " tokens long, more than the context of "
                    + this.options.contextSize() + " tokens; start a new conversation or raise context-size");
        }
        int maxTokens = Math.min(options.maxTokens(), room);
        InferenceParameters params = inferenceParameters(prompt, options, maxTokens, adapters.isEmpty());
        if (!adapters.isEmpty()) {
            float[] scales = new float[adapters.size()];
            if (adapter != BASE) scales[adapter] = 1f;
            de.kherud.llama.LoraSelection.apply(params, scales);
        }

        active.incrementAndGet();
        StringBuilder text = new StringBuilder();
        int completionTokens = 0;
        LlamaIterator it = null;
        try {
            it = (LlamaIterator) model.generate(params).iterator();
            while (it.hasNext()) {
                if (cancellation.isCancelled()) {
                    it.cancel();
                    return new GenerationResult(text.toString(), GenerationResult.FinishReason.CANCELLED, promptTokens, completionTokens);
                }
                LlamaOutput out = it.next();
                if (out.text.isEmpty()) continue;
                completionTokens++;
                text.append(out.text);
                try {
                    onToken.accept(out.text);
                } catch (RuntimeException e) {
                    it.cancel();
                    throw e;
                }
            }
            var reason = completionTokens >= maxTokens ? GenerationResult.FinishReason.LENGTH : GenerationResult.FinishReason.STOP;
            return new GenerationResult(text.toString(), reason, promptTokens, completionTokens);
        } catch (RuntimeException e) {
            // de.kherud.llama.LlamaException is package-private; everything else (e.g. client gone) passes through
            if (!e.getClass().getName().equals("de.kherud.llama.LlamaException")) throw e;
            throw new GenerationException("llama.cpp failed while generating: " + e.getMessage(), e);
        } finally {
            active.decrementAndGet();
        }
    }

    /**
     * The llama.cpp request for a prompt (the adapter selection aside). Public so that the serving benchmark's direct
     * side samples exactly as the server does.
     *
     * @param cachePrompt whether llama.cpp may reuse the slot's cached prefix
     */
    public static InferenceParameters inferenceParameters(String prompt, GenerationOptions options, int maxTokens, boolean cachePrompt) {
        InferenceParameters params = new InferenceParameters(prompt)
                .setNPredict(maxTokens)
                .setTemperature(options.temperature())
                .setTopP(options.topP())
                // With a LoRA adapter loaded, a repeated prompt served from llama.cpp b4916's prompt cache gave wrong
                // answers (seen while testing adapter parity); only base-only instances reuse the cache.
                .setCachePrompt(cachePrompt);
        if (options.seed() >= 0) params.setSeed(options.seed());
        if (!options.stop().isEmpty()) params.setStopStrings(options.stop().toArray(String[]::new));
        if (options.grammar() != null) params.setGrammar(options.grammar());
        return params;
    }

    /** Requests now generating (for the idle check of later schedulers and for status). */
    public int activeRequests() { return active.get(); }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        model.close();
    }
}
