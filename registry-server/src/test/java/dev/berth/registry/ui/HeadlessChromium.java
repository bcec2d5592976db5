package dev.berth.registry.ui;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.logging.Level;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.NoAlertPresentException;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Debian's headless {@code /usr/bin/chromium} driven through Debian's {@code /usr/bin/chromedriver}; both paths are
 * given explicitly so Selenium Manager never looks for (or downloads) a browser or driver. One per test class.
 */
final class HeadlessChromium implements AutoCloseable {
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    static final Path SCREENSHOTS = Path.of("target", "ui-screenshots");
    private static final Duration WAIT = Duration.ofSeconds(20);

    private final ChromeDriver driver;
    private final String base;

    HeadlessChromium(String base) {
        this.base = base;
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments(
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--window-size=1280,800");
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort()
                .build();
        this.driver = new ChromeDriver(service, options);
        driver.manage().timeouts().scriptTimeout(WAIT);
    }

    ChromeDriver driver() {
        return driver;
    }

    /** Opens {@code /ui/#/<route>} and waits until the page has rendered (the status line is empty again). */
    void open(String route) {
        driver.get(base + "/ui/#/" + route);
        settle();
    }

    /** Waits until the page for the current hash has rendered (app.js marks it on {@code body}). */
    void settle() {
        waitUntil(d -> Boolean.TRUE.equals(script("return document.body.dataset.rendered === location.hash"
                + " && !document.getElementById('main').hasAttribute('aria-busy')")));
    }

    WebElement find(By by) {
        return new WebDriverWait(driver, WAIT).until(ExpectedConditions.visibilityOfElementLocated(by));
    }

    List<WebElement> all(By by) {
        return driver.findElements(by);
    }

    void click(By by) {
        new WebDriverWait(driver, WAIT)
                .until(ExpectedConditions.elementToBeClickable(by))
                .click();
    }

    void waitForText(By by, String text) {
        new WebDriverWait(driver, WAIT).until(ExpectedConditions.textToBePresentInElementLocated(by, text));
    }

    void waitUntil(java.util.function.Function<org.openqa.selenium.WebDriver, Boolean> condition) {
        new WebDriverWait(driver, WAIT).until(condition::apply);
    }

    Object script(String js, Object... args) {
        return ((JavascriptExecutor) driver).executeScript(js, args);
    }

    /** Forgets the stored credentials and reloads, as a fresh tab would be. */
    void logOut() {
        driver.get(base + "/ui/");
        script("sessionStorage.clear()");
        driver.navigate().refresh();
        settle();
    }

    void logIn(String user, String password) {
        open("login");
        find(By.id("login-user")).sendKeys(user);
        find(By.id("login-password")).sendKeys(password);
        click(By.id("login-submit"));
    }

    /** Logs in with a right password and waits until the header names the user. */
    void signIn(String user, String password) {
        logIn(user, password);
        waitForText(By.id("who-name"), "Signed in as " + user);
    }

    void resize(int width, int height) {
        driver.manage().window().setSize(new Dimension(width, height));
    }

    /** Saves a PNG of the viewport, scrolled to the top, as {@code target/ui-screenshots/<name>.png}. */
    Path screenshot(String name) {
        script("window.scrollTo(0, 0)");
        return capture(name);
    }

    /** Like {@link #screenshot(String)}, scrolled so that the element {@code css} is at the top. */
    Path screenshot(String name, String css) {
        script("document.querySelector(arguments[0]).scrollIntoView()", css);
        return capture(name);
    }

    private Path capture(String name) {
        try {
            Files.createDirectories(SCREENSHOTS);
            File png = driver.getScreenshotAs(OutputType.FILE);
            Path target = SCREENSHOTS.resolve(name + ".png");
            Files.move(png.toPath(), target, StandardCopyOption.REPLACE_EXISTING);
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Whether a JavaScript dialog (alert, confirm, prompt) is open. */
    boolean dialogOpen() {
        try {
            driver.switchTo().alert();
            return true;
        } catch (NoAlertPresentException e) {
            return false;
        }
    }

    /** Console messages logged since the last call (reading them empties the buffer), with their levels. */
    List<LogEntry> console() {
        return driver.manage().logs().get(LogType.BROWSER).getAll();
    }

    @Override
    public void close() {
        driver.quit();
    }
}
