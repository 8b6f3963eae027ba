package dev.lifelong.assistant.ui;

import dev.lifelong.assistant.TestModels;
import dev.lifelong.assistant.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
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

    WebElement byTestId(String id) { return browser.findElement(By.cssSelector("[data-testid='" + id + "']")); }

    List<WebElement> allByTestId(String id) { return browser.findElements(By.cssSelector("[data-testid='" + id + "']")); }

    WebElement lastAssistant() {
        List<WebElement> answers = browser.findElements(By.cssSelector("[data-testid='message'][data-role='assistant']"));
        return answers.isEmpty() ? null : answers.get(answers.size() - 1);
    }

    @Test
    void sendSeeStreamedTextReloadAndTheConversationIsStillThere() throws Exception {
        try (TestServer server = TestServer.start(data, TestModels.slow(), 4096, 400)) {
            browser.get(server.assistant.url());
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
            browser.get(server.assistant.url());
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
            browser.get(server.assistant.url());
            wait.until(d -> byTestId("demo-notice").isDisplayed());
            assertThat(byTestId("demo-notice").getText()).containsIgnoringCase("demo");
        }
    }
}
