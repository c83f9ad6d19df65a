import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.MongoVersion;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.bson.Document;
import io.netty.channel.Channel;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.h2.mvstore.MVStore;

/**
 * The suite's local store on mongo-java-server: `java StoreMain HOST PORT FILE`.
 *
 * <p>Every command that writes is committed to FILE before it is answered, so what a client was
 * told is written survives the process being killed (MVStore alone commits about once a second).
 * The server reports MongoDB 5.0 (wire version 13): PyMongo refuses a server older than 4.2.
 */
public final class StoreMain {
    private static final Set<String> WRITES = Set.of(
            "insert", "update", "delete", "findandmodify", "createindexes", "dropindexes", "drop",
            "dropdatabase", "create", "renamecollection");

    private StoreMain() {}

    public static void main(String[] args) throws InterruptedException {
        if (args.length != 3) {
            System.err.println("usage: StoreMain HOST PORT FILE");
            System.exit(2);
        }
        MVStore store = new MVStore.Builder().fileName(args[2]).open();
        H2Backend backend = new H2Backend(store) {
            @Override
            public Document handleCommand(Channel channel, String database, String command, Document query) {
                Document answer = super.handleCommand(channel, database, command, query);
                if (WRITES.contains(command.toLowerCase(Locale.ROOT))) {
                    commit();
                }
                return answer;
            }
        };
        backend.version(new MongoVersion() {
            @Override
            public List<Integer> getVersionArray() {
                return List.of(5, 0, 0);
            }

            @Override
            public int getWireVersion() {
                return 13;
            }
        });
        MongoServer server = new MongoServer(backend);
        server.bind(args[0], Integer.parseInt(args[1]));
        Runtime.getRuntime().addShutdownHook(new Thread(server::shutdown));
        System.out.println("listening on " + args[0] + ":" + args[1]);
        Thread.currentThread().join();
    }
}
