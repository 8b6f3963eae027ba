package dev.lifelong.assistant.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lifelong.assistant.config.AssistantConfig;
import dev.lifelong.assistant.config.ConfigLoader;
import dev.lifelong.memory.AdapterVersion;
import dev.lifelong.memory.AdapterVersionStore;
import dev.lifelong.memory.Database;
import dev.lifelong.memory.Users;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code ./lifelong adapters}: a user's adapter versions with their figures; rollback with {@code --serve N}. */
@Command(name = "adapters", mixinStandardHelpOptions = true,
        description = "List a user's adapter versions with their figures; --serve N rolls back (or forward), --base serves no adapter.")
public final class AdaptersCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    @Mixin CommonOptions common = new CommonOptions();
    @Option(names = "--user", paramLabel = "NAME", description = "Whose adapters (may be left out when there is one user).") String user;
    @Option(names = "--json", description = "Print JSON.") boolean json;
    @Option(names = "--serve", paramLabel = "VERSION", description = "Answer with this promoted version from now on.") Integer serve;
    @Option(names = "--base", description = "Answer with the base model, no adapter.") boolean base;
    @Option(names = "--prune", paramLabel = "KEEP", description = "Delete the files of all but the newest KEEP promoted versions (never the serving one; figures stay). Updates keep 5.") Integer prune;

    @Override
    public Integer call() throws Exception {
        if (serve != null && base) throw new UserFacingException("give --serve VERSION or --base, not both");
        Path dataDir = common.dataDir();
        AssistantConfig config = ConfigLoader.load(dataDir, Map.of());
        try (Database db = Database.open(config.databaseFile())) {
            Users.User u = UserOption.resolve(db, user);
            AdapterVersionStore store = new AdapterVersionStore(db);
            List<AdapterVersion> versions = store.list(u.id());
            if (serve != null) {
                AdapterVersion v = versions.stream().filter(x -> x.version() == serve).findFirst()
                        .orElseThrow(() -> new UserFacingException(u.name() + " has no adapter version " + serve));
                try {
                    store.serve(u.id(), v.id());
                } catch (IllegalArgumentException e) {
                    throw new UserFacingException(e.getMessage());
                }
                System.out.println(u.name() + " is now answered with v" + serve + " (a running assistant switches with the next answer)");
                return 0;
            }
            if (prune != null) {
                if (prune < 1) throw new UserFacingException("--prune needs a number of versions to keep, at least 1");
                int deleted = dev.lifelong.loop.LifelongUpdate.prune(db, dataDir, u.id(), prune);
                System.out.println("deleted " + deleted + " old adapter file(s); kept the newest " + prune + " and the serving one");
                return 0;
            }
            if (base) {
                store.serveBase(u.id());
                System.out.println(u.name() + " is now answered by the base model");
                return 0;
            }
            if (json) {
                ObjectNode root = JSON.createObjectNode();
                root.put("user", u.name());
                ArrayNode arr = root.putArray("versions");
                for (AdapterVersion v : versions) arr.add(toJson(v));
                System.out.println(JSON.writeValueAsString(root));
                return 0;
            }
            if (versions.isEmpty()) {
                System.out.println(u.name() + " has no adapter yet: chat, then run ./lifelong update --now (or wait for the nightly update)");
                return 0;
            }
            System.out.printf(Locale.ROOT, "%-4s %-9s %-7s %-10s %-10s %-9s %-7s %-9s %s%n", "ver", "state", "serving", "plasticity",
                    "stability", "general", "replay", "examples", "created");
            for (AdapterVersion v : versions) {
                JsonNode r = JSON.readTree(v.report());
                System.out.printf(Locale.ROOT, "v%-3d %-9s %-7s %-10s %-10s %-9s %-7d %-9d %s%n", v.version(), v.state().wireName(),
                        v.serving() ? "yes" : "", percent(r.path("plasticity")), percent(r.path("stability")), percent(r.path("general")),
                        r.at("/replay/count").asInt(), r.at("/dataset/training_examples").asInt(), v.createdAt());
                System.out.println("     " + v.reason());
            }
            return 0;
        }
    }

    private static String percent(JsonNode n) {
        return n.isMissingNode() || n.isNull() ? "-" : String.format(Locale.ROOT, "%+.1f%%", 100 * n.asDouble());
    }

    static ObjectNode toJson(AdapterVersion v) throws Exception {
        ObjectNode o = JSON.createObjectNode();
        JsonNode r = JSON.readTree(v.report());
        o.put("version", v.version());
        o.put("state", v.state().wireName());
        o.put("verdict", v.state() == AdapterVersion.State.PROMOTED ? "promoted" : "rejected");
        o.put("serving", v.serving());
        if (v.parentId() == null) o.putNull("parentId"); else o.put("parentId", v.parentId());
        o.put("file", v.file());
        o.put("createdAt", v.createdAt().toString());
        o.put("reason", v.reason());
        o.set("plasticity", r.path("plasticity"));
        o.set("stability", r.has("stability") ? r.get("stability") : JSON.nullNode());
        o.set("generalProbe", r.path("general"));
        o.set("metrics", r.path("metrics"));
        o.put("replayCount", r.at("/replay/count").asInt());
        o.set("replay", r.path("replay"));
        o.set("dataset", r.path("dataset"));
        o.put("datasetSha256", v.datasetSha256());
        o.put("baseSha256", v.baseSha256());
        o.set("training", r.path("training"));
        return o;
    }
}
