import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Kafka's Java producer (kafka-clients from the stack's jars), driven by stdin, for
 * test/kafka/record-batch-decoder.int.test.ts. Run as a single-file source program:
 *
 *   java -cp '<stack libs>/*' RecordsProducer.java <bootstrap> <topic>
 *
 * stdin, one command a line:
 *   #producer <compression.type> [transactional.id]   close the current producer, open a new one
 *   #begin | #commit | #abort                         transaction control
 *   <base64 key> <base64 value> <base64 app header>   one record to partition 0
 * Prints "ok" after the last producer closed (every record acknowledged, acks=all).
 */
public class RecordsProducer {
  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    String topic = args[1];
    Base64.Decoder b64 = Base64.getDecoder();
    KafkaProducer<byte[], byte[]> producer = null;
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    boolean[] failed = {false};
    while ((line = in.readLine()) != null) {
      if (line.isEmpty()) continue;
      String[] f = line.split(" ");
      switch (f[0]) {
        case "#producer": {
          if (producer != null) producer.close();
          Properties p = new Properties();
          p.put("bootstrap.servers", bootstrap);
          p.put("acks", "all");
          p.put("compression.type", f[1]);
          // Small batches and some linger: several batches of several records each.
          p.put("batch.size", "4096");
          p.put("linger.ms", "20");
          if (f.length > 2) p.put("transactional.id", f[2]);
          producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
          if (f.length > 2) producer.initTransactions();
          break;
        }
        case "#begin":
          producer.beginTransaction();
          break;
        case "#commit":
          producer.commitTransaction();
          break;
        case "#abort":
          producer.flush();
          producer.abortTransaction();
          break;
        default: {
          ProducerRecord<byte[], byte[]> r =
              new ProducerRecord<>(topic, 0, b64.decode(f[0]), b64.decode(f[1]));
          r.headers().add("app", b64.decode(f[2]));
          producer.send(r, (metadata, e) -> {
            if (e != null) {
              e.printStackTrace();
              failed[0] = true;
            }
          });
        }
      }
    }
    if (producer != null) producer.close();
    if (failed[0]) System.exit(1);
    System.out.println("ok");
  }
}
