package dev.lifelong.assistant.config;

import dev.lifelong.assistant.runtime.GenerationOptions;
import dev.lifelong.assistant.runtime.RuntimeOptions;

import java.nio.file.Path;
import java.util.List;

/**
 * Every setting of the assistant after the config file and the command-line flags were merged.
 * {@link Setting} documents each key; the README's config table is generated from the same list.
 */
public record AssistantConfig(Path dataDir, String host, int port, Path model, int threads, int gpuLayers,
                              int contextSize, int parallel, int maxTokens, float temperature, String systemPrompt,
                              String updateWindow, boolean allowRemote, Path tlsKeystore, String tlsKeystorePassword,
                              List<String> remoteHostNames) {

    /** Without host names for --allow-remote. */
    public AssistantConfig(Path dataDir, String host, int port, Path model, int threads, int gpuLayers, int contextSize,
            int parallel, int maxTokens, float temperature, String systemPrompt, String updateWindow, boolean allowRemote,
            Path tlsKeystore, String tlsKeystorePassword) {
        this(dataDir, host, port, model, threads, gpuLayers, contextSize, parallel, maxTokens, temperature, systemPrompt,
                updateWindow, allowRemote, tlsKeystore, tlsKeystorePassword, List.of());
    }

    /** Loopback only, no TLS: what tests and benchmarks use. */
    public AssistantConfig(Path dataDir, String host, int port, Path model, int threads, int gpuLayers, int contextSize,
            int parallel, int maxTokens, float temperature, String systemPrompt, String updateWindow) {
        this(dataDir, host, port, model, threads, gpuLayers, contextSize, parallel, maxTokens, temperature, systemPrompt,
                updateWindow, false, null, null);
    }

    public static final String FILE_NAME = "config.properties";
    public static final String DEFAULT_UPDATE_WINDOW = "02:00-06:00";
    public static final String DEFAULT_SYSTEM_PROMPT =
            "You are Lifelong, a helpful personal assistant running on the user's own computer. Answer clearly and concisely.";

    /** One configurable key: its name in the file, the flag that overrides it, its default and what it does. */
    public record Setting(String key, String flag, String defaultValue, String description) {}

    public static final List<Setting> SETTINGS = List.of(
            new Setting("host", "--host", "127.0.0.1", "Address the HTTP server binds to. Keep 127.0.0.1 unless you know why."),
            new Setting("port", "--port", "8377", "HTTP port of the web UI and the API."),
            new Setting("model", "--model", "(the pulled default, else the seedling)", "Path of the GGUF model to serve."),
            new Setting("threads", "--threads", "number of CPU cores", "CPU threads llama.cpp uses."),
            new Setting("gpu-layers", "--gpu-layers", "0", "Layers to offload to a GPU (needs a GPU build of the native runtime; see doctor)."),
            new Setting("context-size", "--context-size", "2048", "Context window per request, in tokens."),
            new Setting("parallel", "--parallel", "2", "Requests answered at the same time (llama.cpp slots)."),
            new Setting("max-tokens", "--max-tokens", "512", "Longest answer in tokens when a request does not say."),
            new Setting("temperature", "--temperature", "0.7", "Sampling temperature for chat answers (0 = greedy)."),
            new Setting("system-prompt", "--system-prompt", DEFAULT_SYSTEM_PROMPT, "System prompt of every conversation."),
            new Setting("update-window", "--update-window", DEFAULT_UPDATE_WINDOW,
                    "Local time window of the nightly adapter update (HH:MM-HH:MM), or 'off'. Users can set their own."),
            new Setting("allow-remote", "--allow-remote", "false",
                    "Allow a host other than loopback (other machines can then reach the sign-in page and the API): true, or"
                            + " the host names other machines use to reach this one, comma-separated (requests naming any other"
                            + " host are refused; IP addresses are always accepted)."),
            new Setting("tls-keystore", "--tls-keystore", "(none)", "PKCS#12 keystore with the certificate and key for HTTPS."),
            new Setting("tls-keystore-password-file", "--tls-keystore-password-file", "(none)",
                    "File whose first line is the keystore password (or set LIFELONG_TLS_KEYSTORE_PASSWORD)."),
            new Setting("tls-keystore-password", "--tls-keystore-password", "(none)",
                    "Password of the TLS keystore (on the command line it shows in the process list; prefer the file or"
                            + " the environment variable)."));

    public AssistantConfig {
        remoteHostNames = remoteHostNames == null ? List.of() : List.copyOf(remoteHostNames);
        if (updateWindow == null) updateWindow = DEFAULT_UPDATE_WINDOW;
        if (!updateWindow.equals("off")) {
            try {
                dev.lifelong.loop.UpdateWindow.parse(updateWindow);
            } catch (IllegalArgumentException e) {
                throw new ConfigException("update-window: " + e.getMessage() + ", or 'off'");
            }
        }
        if (port < 0 || port > 65535) throw new ConfigException("port must be between 0 and 65535, not " + port);
        if (host == null || host.isBlank()) throw new ConfigException("host must not be empty");
        if (!isLoopback(host) && !allowRemote) {
            throw new ConfigException("host " + host + " would let other machines reach Lifelong; keep 127.0.0.1, or say"
                    + " so explicitly with --allow-remote (config allow-remote=true), ideally with --tls-keystore");
        }
        if (tlsKeystore != null && !java.nio.file.Files.isRegularFile(tlsKeystore)) {
            throw new ConfigException("tls-keystore " + tlsKeystore + " does not exist");
        }
        if (maxTokens < 1) throw new ConfigException("max-tokens must be at least 1");
        if (temperature < 0 || temperature > 2) throw new ConfigException("temperature must be between 0 and 2");
        try {
            new RuntimeOptions(threads, gpuLayers, contextSize, parallel);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(e.getMessage());
        }
    }

    public RuntimeOptions runtimeOptions() { return new RuntimeOptions(threads, gpuLayers, contextSize, parallel); }

    public GenerationOptions chatGenerationOptions() {
        return new GenerationOptions(maxTokens, temperature, 0.95f, -1, List.of());
    }

    public AssistantConfig withDataDir(Path dir) {
        return new AssistantConfig(dir, host, port, model, threads, gpuLayers, contextSize, parallel, maxTokens, temperature,
                systemPrompt, updateWindow, allowRemote, tlsKeystore, tlsKeystorePassword, remoteHostNames);
    }

    /**
     * The names a request's {@code Host} header may carry: localhost, any IP address (a DNS-rebinding page always
     * arrives under a name of its own, never under an address) and, with --allow-remote, the names given there. Any
     * other name is refused, so a page that rebinds its own name to 127.0.0.1 reaches nothing.
     */
    public java.util.Set<String> acceptedHostNames() {
        java.util.Set<String> names = new java.util.HashSet<>();
        names.add("localhost");
        for (String n : remoteHostNames) names.add(n.strip().toLowerCase(java.util.Locale.ROOT));
        String bound = host.strip().toLowerCase(java.util.Locale.ROOT);
        if (!bound.equals("0.0.0.0") && !bound.equals("::")) names.add(bound);
        return java.util.Set.copyOf(names);
    }

    public boolean tls() { return tlsKeystore != null; }

    /** 127.0.0.0/8, ::1 and localhost: only this machine can connect. */
    public static boolean isLoopback(String host) {
        String h = host.strip().toLowerCase(java.util.Locale.ROOT);
        if (h.startsWith("[") && h.endsWith("]")) h = h.substring(1, h.length() - 1);
        return h.equals("localhost") || h.equals("::1") || h.matches("127(\\.\\d{1,3}){3}");
    }

    /** The default nightly window, or empty when nightly updates are off ("train now" still works). */
    public java.util.Optional<dev.lifelong.loop.UpdateWindow> nightlyWindow() {
        return updateWindow.equals("off") ? java.util.Optional.empty() : java.util.Optional.of(dev.lifelong.loop.UpdateWindow.parse(updateWindow));
    }

    public Path databaseFile() { return dataDir.resolve("lifelong.db"); }
}
