package dev.lifelong.assistant.portable;

import java.nio.file.Path;

/** The Ollama Modelfile and the README with llama.cpp commands that go into a bundle. */
final class Recipes {
    private Recipes() {}

    static boolean chatMl(PersonalModelBundle.BaseModel base) {
        return base.chatTemplate() != null && base.chatTemplate().contains("<|im_start|>");
    }

    static String modelfile(PersonalModelBundle.BaseModel base, Path baseModel, boolean adapter, String systemPrompt) {
        StringBuilder s = new StringBuilder();
        s.append("# Ollama: put the base model ").append(baseModel.getFileName()).append(" (sha256 ").append(base.sha256())
                .append(")\n# next to this file, unzip adapter.gguf here too, then: ollama create my-lifelong -f Modelfile\n");
        s.append("FROM ./").append(baseModel.getFileName()).append('\n');
        if (adapter) s.append("ADAPTER ./adapter.gguf\n");
        if (chatMl(base)) {
            // the same ChatML turns Lifelong renders (tokenizer.chat_template of the base model)
            s.append("TEMPLATE \"\"\"{{- if .System }}<|im_start|>system\n{{ .System }}<|im_end|>\n{{ end }}")
                    .append("{{- range .Messages }}<|im_start|>{{ .Role }}\n{{ .Content }}<|im_end|>\n{{ end }}")
                    .append("<|im_start|>assistant\n\"\"\"\n");
            s.append("PARAMETER stop \"<|im_end|>\"\n");
        } else {
            s.append("# The base model's chat template is not ChatML; Ollama uses the template of the base model from its\n")
                    .append("# library when you FROM that model instead of the file, e.g. FROM ").append(base.name()).append('\n');
        }
        if (systemPrompt != null && !systemPrompt.isBlank()) {
            // the same system prompt Lifelong trains and answers with (the memory block is Lifelong's own, not Ollama's)
            s.append("SYSTEM \"\"\"").append(systemPrompt.replace("\"\"\"", "\" \" \"")).append("\"\"\"\n");
        }
        s.append("PARAMETER temperature 0.7\nPARAMETER top_p 0.95\n");
        return s.toString();
    }

    static String readme(String user, PersonalModelBundle.BaseModel base, Path baseModel, boolean adapter) {
        String lora = adapter ? " --lora adapter.gguf" : "";
        return "# " + user + "'s personal model (Lifelong)\n\n"
                + "Base model: " + base.name() + " (" + base.architecture() + "), file `" + baseModel.getFileName() + "`, sha256 `"
                + base.sha256() + "`.\n" + (adapter ? "Personal adapter: `adapter.gguf` (GGUF LoRA).\n" : "No adapter has been promoted yet.\n")
                + "\n## In another Lifelong\n\n```sh\n./lifelong import THIS.zip --data DIR   # the same base model must be installed there\n```\n"
                + "\n## llama.cpp\n\n```sh\n"
                + "llama-server -m " + baseModel.getFileName() + lora + " --jinja -c 2048 --port 8080\n"
                + "llama-cli -m " + baseModel.getFileName() + lora + " --jinja -cnv\n```\n"
                + "\n## Ollama\n\n```sh\nollama create my-lifelong -f Modelfile   # base model and adapter.gguf next to the Modelfile\n"
                + "ollama run my-lifelong\n```\n"
                + "\nThe memories are in `memories.json`, conversations in `conversations.jsonl`, corrections used for training in\n"
                + "`training.jsonl`, every adapter version's figures in `metrics.json`; `manifest.json` lists a SHA-256 for each file.\n";
    }
}
