import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/** An invoice exporter that sizes its worker pool from a properties file. */
public class App {
    record Config(String exportDir, int workerThreads, int batchSize) {}

    static int intSetting(Properties p, String key) {
        String value = p.getProperty(key);
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalStateException("invalid configuration: " + key + "=" + value, e);
        }
    }

    static Config load(Path file) throws IOException {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file)) {
            p.load(r);
        }
        return new Config(p.getProperty("export.dir"), intSetting(p, "worker.threads"),
                          intSetting(p, "batch.size"));
    }

    public static void main(String[] args) throws IOException {
        System.out.println("invoice-exporter 1.4.2 starting, config " + args[0]);
        Config config = load(Path.of(args[0]));
        System.out.println("exporting to " + config.exportDir() + " with "
                           + config.workerThreads() + " workers");
    }
}
