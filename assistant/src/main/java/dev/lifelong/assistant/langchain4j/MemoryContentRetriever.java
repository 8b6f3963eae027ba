package dev.lifelong.assistant.langchain4j;

import dev.langchain4j.rag.content.Content;
import dev.langchain4j.rag.content.retriever.ContentRetriever;
import dev.langchain4j.rag.query.Query;
import dev.lifelong.memory.retrieval.MemoryService;
import dev.lifelong.memory.retrieval.RetrievedMemory;

import java.util.List;

/**
 * LangChain4j's {@link ContentRetriever} over one user's Lifelong memory: the same hybrid retrieval (BM25 + embeddings,
 * pinned first) that Lifelong's own answers use. Each content carries the memory id and kind as metadata.
 */
public final class MemoryContentRetriever implements ContentRetriever {
    private final MemoryService memory;
    private final long userId;
    private final int maxResults;

    public MemoryContentRetriever(MemoryService memory, long userId, int maxResults) {
        if (maxResults < 1) throw new IllegalArgumentException("maxResults must be at least 1");
        this.memory = memory;
        this.userId = userId;
        this.maxResults = maxResults;
    }

    @Override
    public List<Content> retrieve(Query query) {
        return memory.retrieve(userId, query.text(), maxResults).stream().map(MemoryContentRetriever::content).toList();
    }

    private static Content content(RetrievedMemory r) {
        dev.langchain4j.data.document.Metadata metadata = new dev.langchain4j.data.document.Metadata()
                .put("memory_id", r.memory().id())
                .put("kind", r.memory().kind().wireName())
                .put("pinned", String.valueOf(r.pinned()));
        return Content.from(dev.langchain4j.data.segment.TextSegment.from(r.memory().text(), metadata));
    }
}
