package de.kherud.llama;

/**
 * The bytes llama.cpp produces for single tokens ({@code common_token_to_piece} with special tokens rendered), through
 * the package-private {@link LlamaModel#decodeBytes(int[])}. Bytes, not strings: a byte-fallback token is one byte of a
 * multi-byte UTF-8 character and means nothing as text on its own.
 */
public final class TokenPieces {
    private TokenPieces() {}

    public static byte[] piece(LlamaModel model, int token) {
        return model.decodeBytes(new int[] {token});
    }
}
