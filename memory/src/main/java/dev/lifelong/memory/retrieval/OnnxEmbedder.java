package dev.lifelong.memory.retrieval;

import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel;
import dev.langchain4j.model.embedding.onnx.bgesmallzhv15q.BgeSmallZhV15QuantizedEmbeddingModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * The in-process ONNX embedding models LangChain4j ships inside its Maven jars (no download, no network). See
 * docs/decisions/016-retrieval-memory.md for the measured choice of the default.
 */
public final class OnnxEmbedder implements Embedder {
    /** The models Lifelong can use, by the name used in config.properties. */
    public enum Model {
        /** BAAI bge-small-zh-v1.5, int8: Chinese and English, 512 dimensions. */
        BGE_SMALL_ZH_V15_Q("bge-small-zh-v15-q", 512, BgeSmallZhV15QuantizedEmbeddingModel::new),
        /** sentence-transformers all-MiniLM-L6-v2, int8: English, 384 dimensions. */
        ALL_MINILM_L6_V2_Q("all-minilm-l6-v2-q", 384, AllMiniLmL6V2QuantizedEmbeddingModel::new);

        private final String id;
        private final int dimension;
        private final Supplier<EmbeddingModel> factory;

        Model(String id, int dimension, Supplier<EmbeddingModel> factory) {
            this.id = id;
            this.dimension = dimension;
            this.factory = factory;
        }

        public String id() {
            return id;
        }

        /** @throws IllegalArgumentException naming the known models */
        public static Model named(String id) {
            for (Model m : values()) if (m.id.equals(id.strip().toLowerCase(Locale.ROOT))) return m;
            List<String> known = new ArrayList<>();
            for (Model m : values()) known.add(m.id);
            throw new IllegalArgumentException("unknown embedding model '" + id + "'; known: " + String.join(", ", known));
        }
    }

    /** Used where one model is asked for (tests, the latency benchmark). */
    public static final Model DEFAULT = Model.BGE_SMALL_ZH_V15_Q;

    /**
     * What the assistant uses: both models; every memory gets both vectors and a question is searched with the model
     * for its script. Measured by the retrieval benchmark: bge-small-zh finds Chinese memories (recall@5 1.00 vs 0.58)
     * and MiniLM English ones (0.98 vs 0.73); see decision 016.
     */
    public static List<Embedder> defaults() {
        return List.of(new OnnxEmbedder(Model.BGE_SMALL_ZH_V15_Q), new OnnxEmbedder(Model.ALL_MINILM_L6_V2_Q));
    }

    private final Model model;
    private final EmbeddingModel delegate;

    public OnnxEmbedder(Model model) {
        this.model = model;
        this.delegate = model.factory.get();
    }

    @Override
    public String id() {
        return model.id;
    }

    @Override
    public int dimension() {
        return model.dimension;
    }

    @Override
    public boolean chineseFirst() {
        return model == Model.BGE_SMALL_ZH_V15_Q;
    }

    @Override
    public float[] embed(String text) {
        return Embedder.normalize(delegate.embed(text).content().vector());
    }

    @Override
    public List<float[]> embedAll(List<String> texts) {
        if (texts.isEmpty()) return List.of();
        List<TextSegment> segments = new ArrayList<>(texts.size());
        for (String t : texts) segments.add(TextSegment.from(t));
        List<float[]> out = new ArrayList<>(texts.size());
        for (var e : delegate.embedAll(segments).content()) out.add(Embedder.normalize(e.vector()));
        return out;
    }
}
