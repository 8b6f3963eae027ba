package dev.lifelong.assistant.cli;

import dev.lifelong.assistant.app.Assistant;
import dev.lifelong.assistant.app.ModelResolver;
import dev.lifelong.assistant.config.AssistantConfig;
import dev.lifelong.assistant.config.ConfigLoader;
import dev.lifelong.assistant.model.ModelStatus;
import dev.lifelong.installer.models.CatalogEntry;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.BindException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

@Command(name = "serve", mixinStandardHelpOptions = true, description = "Start the assistant (web UI and API).")
public final class ServeCommand implements Runnable {
    @Mixin CommonOptions common = new CommonOptions();
    @Option(names = "--host", description = "Address to bind (default 127.0.0.1).") String host;
    @Option(names = "--port", description = "HTTP port (default 8377; 0 picks a free one).") Integer port;
    @Option(names = "--model", paramLabel = "FILE", description = "GGUF model to serve.") Path model;
    @Option(names = "--threads", description = "CPU threads for llama.cpp (default: all cores).") Integer threads;
    @Option(names = "--gpu-layers", description = "Layers to offload to the GPU (default 0).") Integer gpuLayers;
    @Option(names = "--context-size", description = "Context window per request in tokens (default 2048).") Integer contextSize;
    @Option(names = "--parallel", description = "Requests answered at once (default 2).") Integer parallel;
    @Option(names = "--max-tokens", description = "Default longest answer in tokens (default 512).") Integer maxTokens;
    @Option(names = "--temperature", description = "Sampling temperature for chat (default 0.7).") Float temperature;
    @Option(names = "--system-prompt", description = "System prompt of every conversation.") String systemPrompt;
    @Option(names = "--allow-remote", arity = "0..1", fallbackValue = "true", paramLabel = "HOSTS",
            description = "Allow binding to a non-loopback --host (prints a warning without TLS); optionally the host names"
                    + " other machines use for this one, comma-separated (other names are refused).") String allowRemote;
    @Option(names = "--tls-keystore", paramLabel = "FILE", description = "PKCS#12 keystore for HTTPS.") Path tlsKeystore;
    @Option(names = "--tls-keystore-password-file", paramLabel = "FILE",
            description = "File whose first line is the keystore password (or set LIFELONG_TLS_KEYSTORE_PASSWORD).") Path tlsKeystorePasswordFile;
    @Option(names = "--tls-keystore-password", description = "Password of the TLS keystore (visible in the process list;"
            + " prefer --tls-keystore-password-file or LIFELONG_TLS_KEYSTORE_PASSWORD).") String tlsKeystorePassword;
    @Option(names = "--update-window", paramLabel = "HH:MM-HH:MM|off", description = "Nightly adapter update window, local time (default 02:00-06:00).") String updateWindow;

    @Override
    public void run() {
        Path dataDir = common.dataDir();
        try {
            ConfigLoader.writeTemplateIfMissing(dataDir);
        } catch (IOException e) {
            throw new UserFacingException("cannot create the data directory " + dataDir + ": " + e.getMessage());
        }
        AssistantConfig config = ConfigLoader.load(dataDir, overrides());
        Path seedling = ModelResolver.home().resolve(ModelResolver.SEEDLING);
        Assistant assistant;
        try {
            assistant = Assistant.start(config, seedling);
        } catch (RuntimeException e) {
            if (hasCause(e, BindException.class)) {
                throw new UserFacingException("port " + config.port() + " on " + config.host()
                        + " is already in use; is Lifelong already running? Pick another with --port N");
            }
            throw e;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            assistant.close();
            stopped.countDown();
        }, "shutdown"));
        printBanner(assistant, config);
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private Map<String, String> overrides() {
        Map<String, String> o = new HashMap<>();
        o.put("host", host);
        o.put("port", port == null ? null : port.toString());
        o.put("model", model == null ? null : model.toString());
        o.put("threads", threads == null ? null : threads.toString());
        o.put("gpu-layers", gpuLayers == null ? null : gpuLayers.toString());
        o.put("context-size", contextSize == null ? null : contextSize.toString());
        o.put("parallel", parallel == null ? null : parallel.toString());
        o.put("max-tokens", maxTokens == null ? null : maxTokens.toString());
        o.put("temperature", temperature == null ? null : temperature.toString());
        o.put("system-prompt", systemPrompt);
        o.put("update-window", updateWindow);
        o.put("allow-remote", allowRemote);
        o.put("tls-keystore", tlsKeystore == null ? null : tlsKeystore.toString());
        o.put("tls-keystore-password-file", tlsKeystorePasswordFile == null ? null : tlsKeystorePasswordFile.toString());
        o.put("tls-keystore-password", tlsKeystorePassword);
        if (tlsKeystorePassword != null) {
            System.err.println("warning: --tls-keystore-password shows in the process list of every user of this machine;"
                    + " use --tls-keystore-password-file FILE or " + ConfigLoader.KEYSTORE_PASSWORD_ENV + " instead");
        }
        return o;
    }

    static void printBanner(Assistant assistant, AssistantConfig config) {
        ModelStatus s = assistant.models().status();
        System.out.println();
        System.out.println("Lifelong 0.1.0");
        System.out.println("  data   " + config.dataDir());
        if (s.loaded()) {
            System.out.println("  model  " + s.name() + (s.demo() ? " (a tiny built-in demo model)" : "") + "  " + s.path());
            if (assistant.updates() != null) {
                assistant.updates().trainingReport().ifPresent(r ->
                        System.out.println("  train  " + r.sentence(dev.lifelong.lora.MemoryPlan.availableMemory())));
            }
        } else {
            System.out.println("  model  none loaded" + (s.error() == null ? "" : ": " + s.error()));
            System.out.println();
            System.out.print(choices(assistant.models().choices(), assistant.url()));
        }
        System.out.println("  key    " + assistant.ownerKeyFile() + " (the owner's API key)");
        if (!AssistantConfig.isLoopback(config.host()) && !config.tls()) {
            System.out.println();
            System.out.println("WARNING: listening on " + config.host() + " without TLS: passwords, API keys and chats cross the"
                    + " network in clear text. Configure --tls-keystore, or keep --host 127.0.0.1.");
        }
        System.out.println();
        System.out.println("Lifelong is running at " + assistant.url());
        if (assistant.accounts().setupNeeded()) {
            // the link carries the owner's key in the fragment, which browsers never send to a server
            System.out.println("First visit: open " + assistant.url() + "#login-key=" + assistant.ownerKey());
            System.out.println("  (signs you in as the owner; then set a password under Account)");
        }
        System.out.println("Press Ctrl+C to stop.");
        System.out.flush();
    }

    /** The same choices the web UI's "Choose a model" screen offers. */
    static String choices(List<CatalogEntry> entries, String url) {
        StringBuilder sb = new StringBuilder("Choose a model:\n");
        sb.append("  1. a GGUF file you already have:  ./lifelong serve --model /path/to/model.gguf\n");
        sb.append("  2. download one (needs internet):\n");
        for (CatalogEntry e : entries) {
            sb.append(String.format("       ./lifelong models pull %-32s %s, %d MB, %s%n", e.id(), e.name(),
                    Math.round(e.sizeBytes() / 1e6), e.license()));
        }
        sb.append("  3. or open ").append(url).append(" and choose in the browser.\n");
        return sb.toString();
    }

    private static boolean hasCause(Throwable t, Class<? extends Throwable> type) {
        for (Throwable c = t; c != null; c = c.getCause()) if (type.isInstance(c)) return true;
        return false;
    }
}
