package dev.lifelong.assistant.ui;

import dev.lifelong.assistant.TestModels;
import dev.lifelong.assistant.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The web UI in real headless Chromium (Debian's chromium + chromium-driver; .ci/run installs them) against the real
 * server, model and database.
 */
@Tag("slow")
class BrowserTest {
    @TempDir Path data;
    @TempDir Path profile;
    ChromeDriver browser;
    WebDriverWait wait;

    @BeforeEach
    void openBrowser() {
        String chromium = System.getenv().getOrDefault("CHROMIUM", "/usr/bin/chromium");
        String driver = System.getenv().getOrDefault("CHROMEDRIVER", "/usr/bin/chromedriver");
        assertThat(new File(chromium)).as("Debian chromium (apt-get install chromium chromium-driver)").exists();
        assertThat(new File(driver)).as("chromedriver (apt-get install chromium-driver)").exists();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(chromium);
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                "--window-size=1280,900", "--user-data-dir=" + profile);
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(new File(driver)).build();
        browser = new ChromeDriver(service, options);
        wait = new WebDriverWait(browser, Duration.ofSeconds(60));
        // the UI re-renders messages while tokens stream in; a lookup may race a re-render
        wait.ignoring(org.openqa.selenium.StaleElementReferenceException.class);
    }

    @AfterEach
    void closeBrowser() {
        if (browser != null) browser.quit();
    }

    /** Opens the UI signed in as the owner through the first-visit link that `serve` prints. */
    void open(TestServer server) {
        browser.get(server.assistant.url() + "#login-key=" + server.assistant.ownerKey());
    }

    WebElement byTestId(String id) { return browser.findElement(By.cssSelector("[data-testid='" + id + "']")); }

    List<WebElement> allByTestId(String id) { return browser.findElements(By.cssSelector("[data-testid='" + id + "']")); }

    WebElement lastAssistant() {
        List<WebElement> answers = browser.findElements(By.cssSelector("[data-testid='message'][data-role='assistant']"));
        return answers.isEmpty() ? null : answers.get(answers.size() - 1);
    }

    @Test
    void sendSeeStreamedTextReloadAndTheConversationIsStillThere() throws Exception {
        try (TestServer server = TestServer.start(data, TestModels.slow(), 4096, 400)) {
            open(server);
            wait.until(d -> byTestId("composer-input").isDisplayed());
            assertThat(byTestId("model-name").getText()).contains("slow");

            byTestId("composer-input").sendKeys("Hello **there**, 世界 🌱");
            byTestId("composer-input").sendKeys(Keys.ENTER);
            // text appears while the answer is still being written
            wait.until(d -> {
                WebElement a = lastAssistant();
                return a != null && "generating".equals(a.getDomAttribute("data-status"))
                        && !a.findElement(By.cssSelector("[data-testid='message-content']")).getText().isBlank();
            });
            wait.until(d -> "complete".equals(lastAssistant().getDomAttribute("data-status")));
            String answer = wait.until(d -> lastAssistant().findElement(By.cssSelector("[data-testid='message-content']")).getText());
            assertThat(answer).isNotBlank();
            WebElement user = browser.findElement(By.cssSelector("[data-testid='message'][data-role='user']"));
            assertThat(user.getText()).contains("Hello **there**, 世界 🌱");
            wait.until(d -> allByTestId("conversation-item").size() == 1
                    && allByTestId("conversation-item").get(0).getText().contains("Hello"));

            browser.navigate().refresh();
            wait.until(d -> browser.findElements(By.cssSelector("[data-testid='message']")).size() == 2);
            assertThat(allByTestId("conversation-item")).hasSize(1);
            String reloaded = wait.until(d -> lastAssistant().findElement(By.cssSelector("[data-testid='message-content']")).getText());
            assertThat(reloaded).isEqualTo(answer);

            // Stop keeps what was written as a partial answer
            byTestId("composer-input").sendKeys("Now a long one");
            byTestId("send").click();
            wait.until(d -> browser.findElements(By.cssSelector("[data-testid='message'][data-role='assistant']")).size() == 2
                    && !lastAssistant().findElement(By.cssSelector("[data-testid='message-content']")).getText().isBlank());
            byTestId("stop").click();
            wait.until(d -> "partial".equals(lastAssistant().getDomAttribute("data-status")));
            assertThat(server.get("/api/conversations").body()).contains("Hello");
        }
    }

    @Test
    void withoutAModelTheChooserLoadsALocalFileAndModelOutputIsSanitized() throws Exception {
        try (TestServer server = TestServer.start(data, null, 1024, 16)) {
            open(server);
            wait.until(d -> byTestId("model-chooser").isDisplayed());
            assertThat(allByTestId("model-choice")).hasSizeGreaterThanOrEqualTo(2);
            byTestId("model-path-input").sendKeys(data.resolve("missing.gguf").toString());
            byTestId("model-path-submit").click();
            wait.until(d -> byTestId("model-chooser").getText().contains("not found"));

            byTestId("model-path-input").clear();
            byTestId("model-path-input").sendKeys(TestModels.tiny().toString());
            byTestId("model-path-submit").click();
            wait.until(d -> byTestId("composer-input").isDisplayed());
            byTestId("composer-input").sendKeys("<img src=x onerror=\"window.pwned=1\"><script>window.pwned=2</script>");
            byTestId("composer-input").sendKeys(Keys.ENTER);
            wait.until(d -> lastAssistant() != null && "complete".equals(lastAssistant().getDomAttribute("data-status")));
            assertThat(browser.executeScript("return window.pwned === undefined")).isEqualTo(true);
            assertThat(browser.findElement(By.cssSelector("[data-testid='message'][data-role='user']")).getText()).contains("<script>");
        }
    }

    @Test
    void theSeedlingIsAnnouncedAsADemoModel() throws Exception {
        Path seedling = Files.copy(TestModels.tiny(), data.resolve("seedling.gguf"));
        try (TestServer server = TestServer.start(data, null, 1024, 16, seedling)) {
            open(server);
            wait.until(d -> byTestId("demo-notice").isDisplayed());
            assertThat(byTestId("demo-notice").getText()).containsIgnoringCase("demo");
        }
    }

    @Test
    void theMemoryPageAddsFindsPinsEditsAndForgetsAndAnswersShowTheMemoriesTheyUsed() throws Exception {
        try (TestServer server = TestServer.start(data, TestModels.tiny(), 1024, 8)) {
            open(server);
            wait.until(d -> byTestId("composer-input").isDisplayed());
            byTestId("memory-open").click();
            wait.until(d -> byTestId("memory-dialog").isDisplayed());
            for (String text : List.of("The user has a dog called Rex.", "用户住在杭州。", "The user likes green tea.")) {
                byTestId("memory-add-input").sendKeys(text);
                byTestId("memory-add").click();
                wait.until(d -> allByTestId("memory-text").stream().anyMatch(e -> e.getText().equals(text)));
            }
            byTestId("memory-search").sendKeys("What pet do I have?");
            wait.until(d -> !allByTestId("memory-text").isEmpty()
                    && allByTestId("memory-text").get(0).getText().equals("The user has a dog called Rex."));

            byTestId("memory-search").clear();
            byTestId("memory-search").sendKeys(Keys.BACK_SPACE); // an input event for the cleared box
            wait.until(d -> allByTestId("memory-item").size() == 3);
            WebElement tea = itemWithText("The user likes green tea.");
            tea.findElement(By.cssSelector("[data-testid='memory-pin']")).click();
            wait.until(d -> itemWithText("The user likes green tea.").findElement(By.cssSelector("[data-testid='memory-pin']"))
                    .getAttribute("aria-pressed").equals("true"));
            itemWithText("The user likes green tea.").findElement(By.cssSelector("[data-testid='memory-edit']")).click();
            WebElement edit = byTestId("memory-edit-input");
            edit.sendKeys(Keys.chord(Keys.CONTROL, "a"), "The user likes oolong tea.", Keys.ENTER);
            wait.until(d -> allByTestId("memory-text").stream().anyMatch(e -> e.getText().equals("The user likes oolong tea.")));

            itemWithText("用户住在杭州。").findElement(By.cssSelector("[data-testid='memory-forget']")).click();
            wait.until(d -> byTestId("confirm-ok").isDisplayed());
            byTestId("confirm-ok").click();
            wait.until(d -> allByTestId("memory-text").stream().noneMatch(e -> e.getText().equals("用户住在杭州。")));
            assertThat(server.get("/api/memories").body()).doesNotContain("杭州");

            browser.findElement(By.id("memory-close")).click();
            byTestId("composer-input").sendKeys("Tell me about my dog", Keys.ENTER);
            wait.until(d -> {
                WebElement a = lastAssistant();
                return a != null && "complete".equals(a.getAttribute("data-status"));
            });
            WebElement used = lastAssistant().findElement(By.cssSelector("[data-testid='memories-used']"));
            used.click();
            wait.until(d -> used.getText().contains("The user has a dog called Rex.") && used.getText().contains("oolong"));

            lastAssistant().findElement(By.cssSelector("[data-testid='correct']")).click();
            wait.until(d -> byTestId("correction-input").isDisplayed());
            byTestId("correction-input").sendKeys("Your dog is called Rex and he is three.");
            byTestId("correction-save").click();
            wait.until(d -> !allByTestId("correction-saved").isEmpty());
            assertThat(server.get("/api/memories").body()).contains("Your dog is called Rex and he is three.");

            byTestId("memory-open").click();
            byTestId("history-search").sendKeys("dog");
            wait.until(d -> allByTestId("history-hit").stream().anyMatch(e -> e.getText().contains("Tell me about my dog")));
        }
    }

    WebElement itemWithText(String text) {
        return allByTestId("memory-item").stream()
                .filter(e -> e.findElements(By.cssSelector("[data-testid='memory-text']")).stream().anyMatch(t -> t.getText().equals(text)))
                .findFirst().orElseThrow(() -> new AssertionError("no memory item '" + text + "'"));
    }

    @Test
    void yourModelPageTrainsWithLiveProgressShowsTheFiguresAndRollsBack() throws Exception {
        try (TestServer server = TestServer.start(data, TestModels.tiny(), 1024, 16)) {
            server.patch("/api/settings", "{\"memoryExtraction\":false}");
            var db = server.assistant.database();
            var c = db.conversations().create(dev.lifelong.memory.Users.OWNER_ID, "gardens");
            String[] words = {"apple", "bridge", "candle", "desert", "engine", "forest", "guitar", "harbor", "island", "jungle", "kettle", "lemon"};
            for (int i = 0; i < words.length; i++) {
                String b = words[(i * 5 + 3) % words.length];
                db.messages().append(c.id(), dev.lifelong.memory.Role.USER, "What do " + words[i] + " and " + b + " have to do with gardens?",
                        dev.lifelong.memory.MessageStatus.COMPLETE);
                db.messages().append(c.id(), dev.lifelong.memory.Role.ASSISTANT, "In gardens, a " + words[i] + " meets a " + b + ".",
                        dev.lifelong.memory.MessageStatus.COMPLETE);
            }
            open(server);
            wait.until(d -> byTestId("composer-input").isDisplayed());
            // One chat marked private, one answer rated down: both stay out of training.
            byTestId("composer-input").sendKeys("my secret plans");
            byTestId("composer-input").sendKeys(Keys.ENTER);
            wait.until(d -> lastAssistant() != null && "complete".equals(lastAssistant().getDomAttribute("data-status")));
            wait.until(d -> byTestId("private-toggle").isDisplayed());
            byTestId("private-toggle").click();
            wait.until(d -> server.get("/api/conversations").body().contains("\"private\":true"));
            byTestId("new-chat").click();
            byTestId("composer-input").sendKeys("a question with a bad answer");
            byTestId("composer-input").sendKeys(Keys.ENTER);
            wait.until(d -> lastAssistant() != null && "complete".equals(lastAssistant().getDomAttribute("data-status"))
                    && lastAssistant().findElements(By.cssSelector("[data-testid='rate-down']")).size() == 1);
            lastAssistant().findElement(By.cssSelector("[data-testid='rate-down']")).click();
            wait.until(d -> lastAssistant().findElement(By.cssSelector("[data-testid='rate-down']")).getDomAttribute("aria-pressed") != null);

            byTestId("model-open").click();
            wait.until(d -> byTestId("model-dialog").isDisplayed());
            assertThat(byTestId("model-serving").getText()).contains("base model");
            byTestId("train-now").click();
            wait.until(d -> byTestId("train-progress").isDisplayed());
            // A whole nightly update (training and evaluation child JVMs): 34 s with one other test run beside it,
            // more than 60 s on 2 cores also running a training job; the progress is what is under test, not the speed.
            new WebDriverWait(browser, Duration.ofSeconds(240))
                    .until(d -> byTestId("train-phase").getText().startsWith("Finished"));
            // the night in plain words (LifelongUpdate.plainSummary)
            assertThat(byTestId("train-phase").getText()).startsWith("Finished: Learned from 12 exchanges")
                    .contains("Now answering with v1.");
            wait.until(d -> byTestId("model-serving").getText().contains("adapter v1"));
            List<WebElement> rows = allByTestId("version-row");
            assertThat(rows).hasSize(1);
            assertThat(rows.get(0).getText()).contains("v1", "promoted");
            assertThat(byTestId("loss-chart").findElements(By.cssSelector("polyline"))).isNotEmpty();
            assertThat(byTestId("run-facts").getText()).contains("12 chat turns", "1 private", "1 rated down");
            assertThat(byTestId("jobs-list").getText()).contains("succeeded");

            byTestId("serve-base").click();
            wait.until(d -> byTestId("model-serving").getText().contains("base model"));
            byTestId("serve-version").click();
            wait.until(d -> byTestId("model-serving").getText().contains("adapter v1"));
        }
    }

    @Test
    void signInWithAPasswordAccountPageAndHostileStoredTextIsInert() throws Exception {
        try (TestServer server = TestServer.start(data, TestModels.tiny(), 1024, 8)) {
            String hostile = "<img src=x onerror=\"window.pwned=1\"><script>window.pwned=2</script>";
            // the owner gives eve a password when adding her (a first password set through an API key is refused)
            var added = server.post("/api/users", "{\"name\":\"eve\",\"password\":\"eve's long password\"}");
            TestServer eve = server.as(new com.fasterxml.jackson.databind.ObjectMapper().readTree(added.body()).get("apiKey").asText());
            long conv = new com.fasterxml.jackson.databind.ObjectMapper().readTree(
                    eve.post("/api/conversations", "{\"title\":" + quote(hostile) + "}").body()).get("id").asLong();
            eve.stream("/api/conversations/" + conv + "/messages", "{\"content\":" + quote(hostile) + "}", null);
            eve.post("/api/memories", "{\"text\":" + quote(hostile) + "}");

            browser.get(server.assistant.url());
            wait.until(d -> byTestId("login-screen").isDisplayed());
            byTestId("login-name").sendKeys("eve");
            byTestId("login-password").sendKeys("wrong password!");
            byTestId("login-submit").click();
            wait.until(d -> byTestId("login-error").getText().contains("wrong user name or password"));
            byTestId("login-password").clear();
            byTestId("login-password").sendKeys("eve's long password");
            byTestId("login-submit").click();
            wait.until(d -> allByTestId("conversation-item").size() == 1);
            assertThat(allByTestId("conversation-item").get(0).getText()).contains("<img src=x");
            allByTestId("conversation-item").get(0).click();
            wait.until(d -> browser.findElements(By.cssSelector("[data-testid='message'][data-role='user']")).size() == 1);
            assertThat(browser.findElement(By.cssSelector("[data-testid='message'][data-role='user']")).getText()).contains("<script>window.pwned=2</script>");
            byTestId("memory-open").click();
            wait.until(d -> byTestId("memory-list").getText().contains("onerror"));
            assertThat(browser.executeScript("return window.pwned === undefined")).as("nothing stored ran as code").isEqualTo(true);
            browser.findElement(By.cssSelector("#memory-close")).click();

            // the account page: eve is a member (no user management) and makes a key
            byTestId("account-open").click();
            wait.until(d -> byTestId("account-who").getText().contains("eve (member)"));
            assertThat(byTestId("users-section").isDisplayed()).isFalse();
            byTestId("key-name").sendKeys("script");
            byTestId("key-create").click();
            wait.until(d -> byTestId("key-secret-value").getText().startsWith("ll_"));
            String secret = byTestId("key-secret-value").getText();
            assertThat(server.as(secret).get("/api/auth/me").body()).contains("\"eve\"");
            byTestId("account-close").click();

            // export from "Your model", with a progress bar
            byTestId("model-open").click();
            wait.until(d -> byTestId("export-model").isDisplayed());
            byTestId("export-model").click();
            wait.until(d -> byTestId("export-status").getText().startsWith("Saved lifelong-eve-"));
            assertThat(byTestId("export-bar").getDomProperty("value")).isEqualTo("1");
            browser.findElement(By.cssSelector("#model-close")).click();
            byTestId("account-open").click();
            wait.until(d -> byTestId("logout").isDisplayed());
            byTestId("logout").click();
            wait.until(d -> byTestId("login-screen").isDisplayed());

            // the owner, signed in by the first-visit link, adds and removes a user on the account page
            open(server);
            wait.until(d -> byTestId("composer-input").isDisplayed());
            byTestId("account-open").click();
            wait.until(d -> byTestId("users-section").isDisplayed());
            assertThat(byTestId("account-nopassword").isDisplayed()).as("the owner is asked to set a password").isTrue();
            byTestId("user-name").sendKeys("frank");
            byTestId("user-add").click();
            wait.until(d -> byTestId("user-secret-value").getText().startsWith("ll_"));
            String franks = byTestId("user-secret-value").getText();
            assertThat(server.as(franks).get("/api/conversations").statusCode()).isEqualTo(200);
            wait.until(d -> byTestId("user-list").getText().contains("frank"));
            List<WebElement> items = allByTestId("user-item");
            WebElement frank = items.stream().filter(e -> e.getText().contains("frank")).findFirst().orElseThrow();
            frank.findElement(By.cssSelector("[data-testid='user-remove']")).click();
            browser.switchTo().alert().accept();
            wait.until(d -> !byTestId("user-list").getText().contains("frank"));
            assertThat(server.as(franks).get("/api/conversations").statusCode()).isEqualTo(401);
        }
    }

    /** A web server on another port of 127.0.0.1 ("another host" to the page) that counts what it is asked for. */
    static final class ForeignHost implements AutoCloseable {
        final com.sun.net.httpserver.HttpServer http;
        final List<String> requests = java.util.Collections.synchronizedList(new java.util.ArrayList<>());

        ForeignHost() throws Exception {
            http = com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 0);
            http.createContext("/", exchange -> {
                requests.add(exchange.getRequestURI().toString());
                exchange.sendResponseHeaders(204, -1);
                exchange.close();
            });
            http.start();
        }

        String url(String path) { return "http://127.0.0.1:" + http.getAddress().getPort() + path; }

        @Override
        public void close() { http.stop(0); }
    }

    @Test
    void hostileMarkupInAnAnswerFetchesNothingFromAnotherHostAndDrawsNothingOverThePage() throws Exception {
        try (TestServer server = TestServer.start(data, TestModels.tiny(), 1024, 8); ForeignHost foreign = new ForeignHost()) {
            // what a prompt injection (or an imported bundle) can put into an answer
            String hostile = String.join("\n",
                    "Here you go.",
                    "",
                    "<svg><image href=\"" + foreign.url("/svg-image.png") + "\"></image></svg>",
                    "<div style=\"background:url(" + foreign.url("/style-background.png") + ");position:fixed;top:0;left:0;width:100%;height:100%;z-index:99\">"
                            + "Your session expired. <a href=\"" + foreign.url("/phish") + "\">Sign in again</a></div>",
                    "<video poster=\"" + foreign.url("/poster.png") + "\" src=\"" + foreign.url("/video.mp4") + "\" autoplay muted></video>",
                    "<audio src=\"" + foreign.url("/audio.mp3") + "\" autoplay></audio>",
                    "<picture><source srcset=\"" + foreign.url("/picture.png") + "\"><img src=\"" + foreign.url("/img.png") + "\"></picture>",
                    "<table background=\"" + foreign.url("/table.png") + "\"><tr><td>cell</td></tr></table>",
                    "<p class=\"login-screen\">looks like the app</p>",
                    "",
                    "![markdown image](" + foreign.url("/markdown.png") + ")",
                    "",
                    "```python",
                    "print('code keeps its language')",
                    "```");
            var db = server.assistant.database();
            var conv = db.conversations().create(dev.lifelong.memory.Users.OWNER_ID, "hostile answer");
            db.messages().append(conv.id(), dev.lifelong.memory.Role.USER, "show me", dev.lifelong.memory.MessageStatus.COMPLETE);
            db.messages().append(conv.id(), dev.lifelong.memory.Role.ASSISTANT, hostile, dev.lifelong.memory.MessageStatus.COMPLETE);

            open(server);
            wait.until(d -> allByTestId("conversation-item").size() == 1);
            allByTestId("conversation-item").get(0).click();
            wait.until(d -> lastAssistant() != null && lastAssistant().getText().contains("Here you go."));
            WebElement content = lastAssistant().findElement(By.cssSelector("[data-testid='message-content']"));
            assertThat(content.findElements(By.cssSelector("svg, image, video, audio, source, picture, img, [style], [background], [srcset], [poster]")))
                    .as("nothing that loads or styles survives the sanitiser").isEmpty();
            assertThat(content.findElements(By.cssSelector(".login-screen"))).as("no class of the app's own stylesheet").isEmpty();
            assertThat(content.findElements(By.cssSelector("code.language-python"))).hasSize(1);
            Object positioned = browser.executeScript("return [...arguments[0].querySelectorAll('*')].filter(e => "
                    + "['fixed','absolute'].includes(getComputedStyle(e).position)).length", content);
            assertThat(((Number) positioned).intValue()).as("nothing is laid over the page").isZero();

            // and if markup ever got past the sanitiser, the page's Content-Security-Policy stops it in Chromium itself
            browser.executeScript("window.violations = 0; document.addEventListener('securitypolicyviolation', () => window.violations++);"
                    + "const img = document.createElement('img'); img.src = arguments[0]; document.body.append(img);"
                    + "const s = document.createElement('script'); s.textContent = 'window.inlineRan = 1'; document.body.append(s);"
                    + "const d = document.createElement('div'); d.innerHTML = '<span style=\"position:fixed\">x</span>'; document.body.append(d);",
                    foreign.url("/after-sanitiser.png"));
            wait.until(d -> ((Number) browser.executeScript("return window.violations")).intValue() >= 2);
            assertThat(browser.executeScript("return window.inlineRan === undefined")).as("no inline script runs").isEqualTo(true);
            // every request the page made so far has had time to reach the other host
            long until = System.nanoTime() + 2_000_000_000L;
            while (System.nanoTime() < until) Thread.sleep(100);
            assertThat(foreign.requests).as("requests that reached the other host").isEmpty();
        }
    }

    @Test
    void aLinkWithAnotherAccountsKeyAsksBeforeSwitchingTheSignedInAccount() throws Exception {
        try (TestServer server = TestServer.start(data, TestModels.tiny(), 1024, 8)) {
            String mallorys = server.newUser("mallory").apiKey;
            open(server);
            wait.until(d -> byTestId("composer-input").isDisplayed());
            wait.until(d -> browser.findElement(By.id("account-name")).getText().contains("owner"));
            // a page sends the owner a link with mallory's key: nothing changes without asking
            browser.get(server.assistant.url() + "#login-key=" + mallorys);
            wait.until(d -> byTestId("confirm-ok").isDisplayed());
            assertThat(browser.findElement(By.id("confirm-text")).getText()).contains("mallory").contains("owner");
            browser.findElement(By.id("confirm-cancel")).click();
            wait.until(d -> !byTestId("confirm-ok").isDisplayed());
            assertThat(browser.findElement(By.id("account-name")).getText()).contains("owner");
            assertThat(browser.getCurrentUrl()).doesNotContain("login-key");
            // asked and confirmed, it switches
            browser.get(server.assistant.url() + "#login-key=" + mallorys);
            wait.until(d -> byTestId("confirm-ok").isDisplayed());
            byTestId("confirm-ok").click();
            wait.until(d -> browser.findElement(By.id("account-name")).getText().contains("mallory"));
        }
    }

    // ------------------------------------------------------------------ issue 21: a walk through the UI

    /** Presses keys on whatever has the focus, as a keyboard user does. */
    void press(CharSequence... keys) { new Actions(browser).sendKeys(keys).perform(); }

    Object js(String script, Object... args) { return browser.executeScript(script, args); }

    /** The page's viewport in CSS pixels, exactly (a headless window is never narrower than 500). */
    void viewport(int width, int height) {
        browser.executeCdpCommand("Emulation.setDeviceMetricsOverride",
                java.util.Map.of("width", width, "height", height, "deviceScaleFactor", 1, "mobile", false));
    }

    /** Opens the sidebar drawer of a narrow screen and waits until it has slid in. */
    void openDrawer() {
        browser.findElement(By.id("menu-btn")).click();
        wait.until(d -> ((Number) js("return document.getElementById('sidebar').getBoundingClientRect().left")).doubleValue() >= 0);
    }

    boolean focusInside(String id) { return (Boolean) js("return document.getElementById(arguments[0]).contains(document.activeElement)", id); }

    /** The page itself never scrolls (only its panes do): a focused element outside the app would scroll it. */
    void assertPageNotScrolled() {
        assertThat(((Number) js("return document.scrollingElement.scrollTop + window.scrollY")).doubleValue()).as("page scrolled").isZero();
        assertThat(((Number) js("return document.getElementById('app').getBoundingClientRect().top")).doubleValue()).isZero();
    }

    /** Sets the state of the last model download as the server keeps it (a real download needs the internet). */
    static void lastDownload(TestServer server, String state, String error) throws Exception {
        var field = dev.lifelong.assistant.model.ModelManager.class.getDeclaredField("download");
        field.setAccessible(true);
        @SuppressWarnings("unchecked")
        var download = (java.util.concurrent.atomic.AtomicReference<dev.lifelong.assistant.model.ModelStatus.DownloadState>) field.get(server.assistant.models());
        String id = dev.lifelong.installer.models.ModelCatalog.builtIn().entries().get(0).id();
        download.set(new dev.lifelong.assistant.model.ModelStatus.DownloadState(id, state, 0, 1_000_000, error));
    }

    /** The WCAG contrast ratio of an element's text against what is behind it (backgrounds and opacity composited). */
    static final String CONTRAST = """
            const rgba = (c) => { const p = c.match(/[\\d.]+/g).map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
            const over = (top, under) => [0, 1, 2].map((i) => top[i] * top[3] + under[i] * (1 - top[3])).concat(1);
            const chain = []; for (let n = arguments[0]; n; n = n.parentElement) chain.unshift(n);
            let bg = [255, 255, 255, 1], opacity = 1;
            for (const n of chain) { const s = getComputedStyle(n); bg = over(rgba(s.backgroundColor), bg); opacity *= Number(s.opacity); }
            const fg = rgba(getComputedStyle(arguments[0]).color);
            const text = over([fg[0], fg[1], fg[2], fg[3] * opacity], bg);
            const lum = (c) => { const [r, g, b] = c.slice(0, 3).map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
                                   return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
            const [hi, lo] = [lum(text), lum(bg)].sort((a, b) => b - a);
            return (hi + 0.05) / (lo + 0.05);
            """;

    double contrast(WebElement e) { return ((Number) js(CONTRAST, e)).doubleValue(); }

    /** Ids of the displayed fields whose placeholder is wider than the field (what a user sees cut: "Add someth"). */
    @SuppressWarnings("unchecked")
    List<String> cutPlaceholders() {
        return (List<String>) js("""
                const ctx = document.createElement('canvas').getContext('2d');
                return [...document.querySelectorAll('input[placeholder], textarea[placeholder]')].filter((i) => {
                  if (!i.checkVisibility()) return false;
                  const s = getComputedStyle(i);
                  ctx.font = `${s.fontStyle} ${s.fontWeight} ${s.fontSize} ${s.fontFamily}`;
                  const room = i.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight);
                  return ctx.measureText(i.placeholder).width > room + 1;
                }).map((i) => i.id);""");
    }

    @Test
    void theModelChooserIsReallyHiddenUntilOpenedAndOpensWithoutStaleErrors() throws Exception {
        try (TestServer server = TestServer.start(data, TestModels.tiny(), 1024, 8)) {
            viewport(1366, 850);
            lastDownload(server, "failed", "connection reset (an earlier try)");
            // on the sign-in screen, the panel is in a closed dialog: not displayed, so neither read nor reached
            browser.get(server.assistant.url());
            wait.until(d -> byTestId("login-screen").isDisplayed());
            assertThat(byTestId("model-chooser").isDisplayed()).isFalse();
            assertThat(js("return document.getElementById('model-chooser').closest('dialog:not([open])') !== null")).isEqualTo(true);

            open(server);
            wait.until(d -> byTestId("composer-input").isDisplayed());
            assertThat(byTestId("model-chooser").isDisplayed()).isFalse();
            byTestId("composer-input").click();
            press("hello");
            for (int i = 0; i < 4; i++) {
                press(Keys.TAB);
                assertThat(focusInside("model-chooser")).as("Tab %d reached the hidden chooser", i + 1).isFalse();
                assertPageNotScrolled();
            }

            // opened with the keyboard from the model's name: the earlier failure is not news
            byTestId("model-name").sendKeys(Keys.ENTER);
            wait.until(d -> byTestId("model-chooser").isDisplayed() && !allByTestId("model-choice").isEmpty());
            assertThat(byTestId("model-error").isDisplayed()).isFalse();
            assertThat(byTestId("model-chooser").getText()).doesNotContain("failed");
            assertThat(byTestId("model-path-input").isDisplayed()).as("the owner changes the model").isTrue();
            assertThat(byTestId("chooser-readonly").isDisplayed()).isFalse();

            // a download this page watched fails: that is shown, and cleared when the chooser is opened again
            lastDownload(server, "running", null);
            press(Keys.ESCAPE);
            wait.until(d -> !byTestId("model-chooser").isDisplayed());
            byTestId("model-name").sendKeys(Keys.ENTER);
            wait.until(d -> byTestId("model-chooser").getText().contains("Downloading"));
            lastDownload(server, "failed", "disk full");
            wait.until(d -> byTestId("model-error").isDisplayed() && byTestId("model-error").getText().contains("Download failed: disk full"));
            press(Keys.ESCAPE);
            wait.until(d -> !byTestId("model-chooser").isDisplayed());
            assertPageNotScrolled();
            byTestId("model-name").sendKeys(Keys.ENTER);
            wait.until(d -> byTestId("model-chooser").isDisplayed());
            Thread.sleep(1500); // the status the chooser asks for on opening has come back
            assertThat(byTestId("model-error").isDisplayed()).isFalse();
        }
    }

    @Test
    void aMemberSeesWhichModelRunsReadOnlyWithoutTheOwnersControlsOrErrors() throws Exception {
        try (TestServer server = TestServer.start(data, TestModels.tiny(), 1024, 8)) {
            String malloryKey = server.newUser("mallory").apiKey;
            lastDownload(server, "failed", "no space left on /home/owner/models");
            browser.get(server.assistant.url());
            wait.until(d -> byTestId("login-screen").isDisplayed());
            browser.findElement(By.cssSelector(".login-key summary")).click();
            byTestId("login-key").sendKeys(malloryKey, Keys.ENTER);
            wait.until(d -> byTestId("composer-input").isDisplayed());
            assertThat(byTestId("model-name").getDomAttribute("title")).isEqualTo("Model in use");

            byTestId("model-name").click();
            wait.until(d -> byTestId("model-chooser").isDisplayed() && byTestId("chooser-current").isDisplayed());
            assertThat(byTestId("chooser-title").getText()).isEqualTo("Model in use");
            assertThat(byTestId("chooser-current").getText()).contains("Now running: tiny");
            assertThat(byTestId("chooser-readonly").getText()).isEqualTo("Only the owner of this installation can change the model.");
            assertThat(byTestId("model-path-input").isDisplayed()).isFalse();
            assertThat(allByTestId("model-download")).isEmpty();
            assertThat(byTestId("model-chooser").getText()).doesNotContain("failed").doesNotContain("no space").doesNotContain("Download");
        }
    }

    @Test
    void dialogsShowTheirErrorsInsideClearThemOnSuccessAndSaySoWhenSomethingWorked() throws Exception {
        try (TestServer server = TestServer.start(data, TestModels.tiny(), 1024, 8)) {
            viewport(1366, 850);
            open(server);
            wait.until(d -> byTestId("composer-input").isDisplayed());
            byTestId("account-open").click();
            WebElement account = wait.until(d -> byTestId("account-dialog").isDisplayed() ? byTestId("account-dialog") : null);
            WebElement error = account.findElement(By.cssSelector("[data-testid='dialog-error']"));
            WebElement status = account.findElement(By.cssSelector("[data-testid='dialog-status']"));
            assertThat(status.getDomAttribute("role")).isEqualTo("status");

            byTestId("password-new").sendKeys("owner's long password", Keys.ENTER);
            wait.until(d -> status.getText().startsWith("Password set."));
            wait.until(d -> status.getText().isEmpty()); // it fades

            byTestId("password-current").sendKeys("not the password");
            byTestId("password-new").sendKeys("another long password", Keys.ENTER);
            wait.until(d -> error.isDisplayed());
            assertThat(error.getText()).contains("the current password is wrong");
            assertThat(byTestId("error-banner").isDisplayed()).as("nothing behind the backdrop").isFalse();
            assertThat(js("const r = arguments[0].getBoundingClientRect();"
                    + "return arguments[0].contains(document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2))", error))
                    .as("the error is on top, where it can be seen").isEqualTo(true);

            byTestId("password-current").clear();
            byTestId("password-current").sendKeys("owner's long password");
            byTestId("password-new").clear();
            byTestId("password-new").sendKeys("another long password", Keys.ENTER);
            wait.until(d -> status.getText().startsWith("Password changed."));
            assertThat(error.isDisplayed()).as("the error went with the next success").isFalse();
            byTestId("account-close").click();

            // Your model: a refused setting, then one that is applied
            byTestId("model-open").click();
            WebElement model = wait.until(d -> byTestId("model-dialog").isDisplayed() ? byTestId("model-dialog") : null);
            WebElement modelError = model.findElement(By.cssSelector("[data-testid='dialog-error']"));
            WebElement modelStatus = model.findElement(By.cssSelector("[data-testid='dialog-status']"));
            wait.until(d -> !byTestId("update-window").getDomProperty("value").isEmpty());
            byTestId("update-window").clear();
            byTestId("update-window").sendKeys("25:00-26:00");
            byTestId("model-settings-save").click();
            wait.until(d -> modelError.isDisplayed() && modelError.getText().contains("HH:MM-HH:MM"));
            assertThat(byTestId("error-banner").isDisplayed()).isFalse();
            byTestId("update-window").clear();
            byTestId("update-window").sendKeys("01:00-05:00");
            byTestId("model-settings-save").click();
            wait.until(d -> modelStatus.getText().startsWith("Settings applied"));
            assertThat(modelError.isDisplayed()).isFalse();
            browser.findElement(By.id("model-close")).click();

            // opened again, a dialog starts without what the last visit left
            byTestId("model-open").click();
            wait.until(d -> byTestId("model-dialog").isDisplayed());
            assertThat(modelError.isDisplayed()).isFalse();
            assertThat(modelStatus.getText()).isEmpty();
        }
    }

    @Test
    void onAPhoneTheClosedSidebarIsOutOfTheTabOrderAndEscapeReturnsToTheMenuButton() throws Exception {
        try (TestServer server = TestServer.start(data, TestModels.tiny(), 1024, 8)) {
            viewport(390, 844);
            open(server);
            wait.until(d -> byTestId("composer-input").isDisplayed());
            assertThat(((Number) js("return window.innerWidth")).intValue()).isEqualTo(390);
            js("document.activeElement.blur()");
            for (int i = 0; i < 6; i++) {
                press(Keys.TAB);
                assertThat(focusInside("sidebar")).as("Tab %d went into the closed sidebar", i + 1).isFalse();
                if (i == 0) assertThat(browser.switchTo().activeElement().getDomAttribute("id")).isEqualTo("menu-btn");
            }
            assertThat(browser.findElement(By.id("sidebar")).getDomProperty("inert")).isEqualTo("true");

            browser.findElement(By.id("menu-btn")).sendKeys(Keys.ENTER);
            wait.until(d -> "open".equals(browser.findElement(By.id("app")).getDomAttribute("data-sidebar")));
            assertThat(browser.switchTo().activeElement().getDomAttribute("id")).isEqualTo("new-chat");
            for (int i = 0; i < 5; i++) {
                press(Keys.TAB);
                assertThat((Boolean) js("return document.querySelector('main').contains(document.activeElement)"))
                        .as("Tab %d reached the page behind the open drawer", i + 1).isFalse();
            }
            press(Keys.ESCAPE);
            wait.until(d -> "closed".equals(browser.findElement(By.id("app")).getDomAttribute("data-sidebar")));
            assertThat(browser.switchTo().activeElement().getDomAttribute("id")).isEqualTo("menu-btn");
            assertThat(browser.findElement(By.id("sidebar")).getDomProperty("inert")).isEqualTo("true");
            press(Keys.TAB);
            assertThat(focusInside("sidebar")).isFalse();

            // a dialog opened from the drawer gives the focus back to the menu button, not to the hidden drawer
            browser.findElement(By.id("menu-btn")).sendKeys(Keys.ENTER);
            wait.until(d -> focusInside("sidebar"));
            byTestId("memory-open").sendKeys(Keys.ENTER);
            wait.until(d -> byTestId("memory-dialog").isDisplayed());
            press(Keys.ESCAPE);
            wait.until(d -> !byTestId("memory-dialog").isDisplayed());
            assertThat(browser.switchTo().activeElement().getDomAttribute("id")).isEqualTo("menu-btn");
        }
    }

    @Test
    void fieldsKeepTheirLabelsCloseAndPlaceholdersWholeAndANewKeyIsReadableAndCopyable() throws Exception {
        try (TestServer server = TestServer.start(data, TestModels.tiny(), 1024, 8)) {
            open(server);
            wait.until(d -> byTestId("composer-input").isDisplayed());
            for (Dimension size : List.of(new Dimension(1366, 850), new Dimension(390, 844))) {
                viewport(size.width, size.height);
                if (size.width < 800) openDrawer();
                byTestId("memory-open").click();
                wait.until(d -> byTestId("memory-dialog").isDisplayed());
                assertThat(cutPlaceholders()).as("cut placeholders in Memory at %s", size).isEmpty();
                browser.findElement(By.id("memory-close")).click();
                if (size.width < 800) openDrawer();
                byTestId("account-open").click();
                wait.until(d -> byTestId("users-section").isDisplayed());
                assertThat(cutPlaceholders()).as("cut placeholders in Account at %s", size).isEmpty();
                byTestId("account-close").click();
            }
            viewport(1366, 850);

            byTestId("account-open").click();
            wait.until(d -> byTestId("key-name").isDisplayed());
            byTestId("key-name").sendKeys("script", Keys.ENTER);
            WebElement value = wait.until(d -> byTestId("key-secret-value").getText().startsWith("ll_") ? byTestId("key-secret-value") : null);
            String secret = value.getText();
            assertThat(contrast(value)).as("contrast of the new key").isGreaterThanOrEqualTo(4.5);
            // each key's memory checkbox sits next to its word
            WebElement box = wait.until(d -> allByTestId("key-item").stream().filter(e -> e.getText().startsWith("script")).findFirst()
                    .map(e -> e.findElement(By.cssSelector("input[type='checkbox']"))).orElse(null));
            WebElement boxLabel = box.findElement(By.xpath(".."));
            assertThat(box.getRect().width).isLessThan(30);
            assertThat(boxLabel.getRect().width).as("checkbox and its label").isLessThan(120);
            assertThat(byTestId("key-memory").getRect().width).isLessThan(30);

            browser.executeCdpCommand("Browser.grantPermissions", java.util.Map.of("origin", server.assistant.url().replaceAll("/$", ""),
                    "permissions", List.of("clipboardReadWrite", "clipboardSanitizedWrite")));
            byTestId("key-copy").click();
            wait.until(d -> byTestId("key-copy").getText().equals("Copied"));
            assertThat(browser.executeAsyncScript("navigator.clipboard.readText().then(arguments[0], () => arguments[0](null))")).isEqualTo(secret);

            // where the clipboard is refused, the key is left selected for Ctrl+C
            byTestId("user-name").sendKeys("frank", Keys.ENTER);
            WebElement franks = wait.until(d -> byTestId("user-secret-value").getText().startsWith("ll_") ? byTestId("user-secret-value") : null);
            js("navigator.clipboard.writeText = () => Promise.reject(new DOMException('denied', 'NotAllowedError'))");
            byTestId("user-copy").click();
            wait.until(d -> franks.getText().equals(js("return window.getSelection().toString()")));
            assertThat(contrast(franks)).isGreaterThanOrEqualTo(4.5);
        }
    }

    @Test
    void fieldsHaveLabelsIntroTextIsReadableAndChartsSayWhatTheyShow() throws Exception {
        try (TestServer server = TestServer.start(data, TestModels.tiny(), 1024, 8)) {
            viewport(1366, 850);
            open(server);
            wait.until(d -> byTestId("composer-input").isDisplayed());
            WebElement hint = browser.findElement(By.cssSelector(".composer-hint"));
            assertThat(contrast(hint)).as("contrast of the composer hint").isGreaterThanOrEqualTo(4.5);

            byTestId("account-open").click();
            wait.until(d -> byTestId("users-section").isDisplayed());
            for (String id : List.of("key-name", "user-name", "user-password")) {
                WebElement field = byTestId(id);
                String label = (String) js("return arguments[0].labels.length ? arguments[0].labels[0].textContent.trim() : ''", field);
                assertThat(label).as("a <label> for %s", id).isNotEmpty();
                assertThat(field.getAccessibleName()).isEqualTo(label);
            }
            for (WebElement lead : byTestId("account-dialog").findElements(By.cssSelector(".memory-lead"))) {
                if (lead.isDisplayed()) assertThat(contrast(lead)).as("contrast of '%s'", lead.getText()).isGreaterThanOrEqualTo(4.5);
            }
            byTestId("account-close").click();

            // two versions as /api/adapters reports them (training one takes minutes): the charts summarise them in words
            String overview = """
                    {"serving":null,"jobs":[],"progress":null,"updateWindow":"off","versions":[
                     {"id":2,"version":2,"state":"promoted","serving":false,"hasFile":true,"reason":"better","createdAt":1,
                      "report":{"plasticity":0.2,"stability":0.01,"general":0.0,"replay":{"count":2},"dataset":{"training_examples":9},
                                "training":{"lossHistory":[3.2,2.9,2.5,2.1]}}},
                     {"id":1,"version":1,"state":"promoted","serving":false,"hasFile":true,"reason":"better","createdAt":0,
                      "report":{"plasticity":0.1,"stability":0.03,"general":-0.01,"replay":{"count":0},"dataset":{"training_examples":5}}}]}""";
            js("const body = arguments[0], real = window.fetch;"
                    + "window.fetch = (url, o) => url === '/api/adapters' ? Promise.resolve(new Response(body)) : real(url, o);", overview);
            byTestId("model-open").click();
            WebElement loss = wait.until(d -> byTestId("loss-chart").findElements(By.cssSelector("svg")).stream().findFirst().orElse(null));
            assertThat(loss.getDomAttribute("role")).isEqualTo("img");
            assertThat(loss.getDomAttribute("aria-label")).isEqualTo("Training loss of the latest version. "
                    + "loss: 4 values, 3.20 at step 1 to 2.10 at step 4 (lowest 2.10, highest 3.20).");
            WebElement versions = byTestId("version-chart").findElement(By.cssSelector("svg"));
            assertThat(versions.getDomAttribute("role")).isEqualTo("img");
            assertThat(versions.getDomAttribute("aria-label")).startsWith("Learning and forgetting per version. ")
                    .contains("learned (new chats): 2 values, +10.0% at v1 to +20.0% at v2")
                    .contains("forgot (earlier chats): 2 values, +3.0% at v1 to +1.0% at v2");
            for (WebElement lead : byTestId("model-dialog").findElements(By.cssSelector(".memory-lead"))) {
                if (lead.isDisplayed()) assertThat(contrast(lead)).as("contrast of '%s'", lead.getText()).isGreaterThanOrEqualTo(4.5);
            }
        }
    }

    static String quote(String s) {
        try {
            return new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(s);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
