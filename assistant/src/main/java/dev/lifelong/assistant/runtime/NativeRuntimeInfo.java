package dev.lifelong.assistant.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * What the native llama.cpp library bundled in de.kherud:llama can do on this platform. GPU support is read from the
 * library itself: a build with a GPU backend contains that backend's symbol names (ggml_backend_cuda..., _metal..., _vk...).
 */
public record NativeRuntimeInfo(String resource, boolean libraryFound, List<String> gpuBackends) {

    public boolean hasGpuBackend() { return !gpuBackends.isEmpty(); }

    public String description() {
        return libraryFound ? "llama.cpp b4916 via de.kherud:llama 4.2.0 (" + resource + ")" : "no native library for this platform (" + resource + ")";
    }

    public static NativeRuntimeInfo detect() {
        String resource = dev.lifelong.llama.LlamaNative.resourcePath();
        try (InputStream in = NativeRuntimeInfo.class.getResourceAsStream(resource)) {
            if (in == null) return new NativeRuntimeInfo(resource, false, List.of());
            return new NativeRuntimeInfo(resource, true, backends(in.readAllBytes()));
        } catch (IOException e) {
            return new NativeRuntimeInfo(resource, false, List.of());
        }
    }

    static List<String> backends(byte[] library) {
        String text = new String(library, StandardCharsets.ISO_8859_1);
        List<String> found = new ArrayList<>();
        if (text.contains("ggml_backend_cuda")) found.add("CUDA");
        if (text.contains("ggml_backend_metal")) found.add("Metal");
        if (text.contains("ggml_backend_vk")) found.add("Vulkan");
        return found;
    }

}
