package io.taskflow4j.persistence;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.BeanProperty;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.deser.ContextualDeserializer;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import com.fasterxml.jackson.databind.util.TokenBuffer;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.taskflow4j.persistence.JsonCollections.FrozenList;
import io.taskflow4j.persistence.JsonCollections.FrozenMap;
import io.taskflow4j.persistence.JsonCollections.StampedMap;
import java.io.IOException;
import java.lang.reflect.Type;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAccumulator;
import java.util.concurrent.atomic.LongAdder;

/**
 * The one JSON codec of taskflow4j.
 *
 * <p>Everything persisted (results, metadata, failure arguments) is held in memory as a <em>JSON
 * value</em>: {@code null}, {@link String}, {@link Boolean}, {@link Integer}, {@link Long}, {@link
 * BigInteger}, {@link Double}, an unmodifiable {@code List} of JSON values or an unmodifiable
 * {@code Map<String, ?>} of JSON values (insertion ordered). {@link #normalize} turns any
 * Jackson-serialisable object into that form, so a value reads back from a durable backend exactly
 * as it went in, whatever the backend; {@link #convert} turns it into the type a consumer declares.
 *
 * <p>No Java serialisation and no polymorphic default typing are used anywhere.
 */
public final class Json {
  /** How deep a value may nest: the limit of Jackson's writer, so whatever is stored reads back. */
  static final int MAX_DEPTH = 1000;

  private static final ObjectMapper MAPPER =
      JsonMapper.builder(
              JsonFactory.builder()
                  // Whatever the writer wrote must read back: no string length limit (Jackson's
                  // default of 20M characters would make a large recorded result unreadable).
                  .streamReadConstraints(
                      StreamReadConstraints.builder()
                          .maxStringLength(Integer.MAX_VALUE)
                          .maxNestingDepth(MAX_DEPTH)
                          .build())
                  // {"a": 1, "a": 2} is a corrupt record: which value was meant is unknown
                  .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                  .build())
          .addModule(new JavaTimeModule())
          .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
          .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          // "{...} garbage" is a corrupt record, not a value followed by noise
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .addModule(optionalModule())
          .build();

  /**
   * The factory of {@link #readFrozen}'s parsers: the mapper's limits, without its duplicate-key
   * detection (a hash set per object, a fifth of a stored atom's read), which {@link #readFrozen}
   * does itself on the keys it collects anyway; a document it refuses goes to the mapper, whose
   * error names the duplicate.
   */
  private static final JsonFactory FROZEN_READER =
      MAPPER
          .getFactory()
          .rebuild()
          .disable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .build();

  /**
   * Used by {@link #normalize}: an object Jackson finds no property in would otherwise become
   * {@code {}} silently, losing the value; it must be an error naming the type instead.
   */
  private static final ObjectWriter STRICT_WRITER =
      MAPPER.writer().with(SerializationFeature.FAIL_ON_EMPTY_BEANS);

  private static final FrozenMap EMPTY_MAP = new FrozenMap(new Object[0]);

  /** The one empty frozen map. */
  static Map<String, Object> emptyMap() {
    return EMPTY_MAP;
  }

  private static final TypeReference<Object> OBJECT = new TypeReference<>() {};

  private Json() {}

  /** The shared, configured mapper (thread-safe; do not reconfigure it). */
  public static ObjectMapper mapper() {
    return MAPPER;
  }

  /**
   * Converts any value to its JSON form (see the class comment), deeply unmodifiable: the value a
   * durable backend would read back, so a reload compares equal. Whole numbers become the smallest
   * of Integer, Long, BigInteger that holds them; other numbers Double (a float keeps its decimal
   * text: {@code 0.1f} is {@code 0.1}); arrays, sets and lists become lists; map keys strings;
   * records and beans maps of their properties; {@code java.time} values ISO-8601 strings; {@code
   * byte[]} base64 text; an {@link Optional} its content or {@code null}. A value already
   * normalised is returned as is.
   *
   * @throws IllegalArgumentException naming the type when the value cannot be represented as JSON:
   *     an object with no properties to write, one that contains itself, NaN or an infinity
   */
  public static Object normalize(Object value) {
    if (value instanceof FrozenMap || value instanceof FrozenList || value instanceof StampedMap) {
      // Already normalised (every model wither re-normalises its values): no deep copy again.
      return value;
    }
    if (value instanceof String str) {
      InvalidTextException.require(str, "a string value");
      return value;
    }
    if (value == null || value instanceof Boolean || value instanceof Integer) {
      return value;
    }
    if (value instanceof Stamp st) {
      return st.iso();
    }
    if (value instanceof Optional<?> o) {
      // an absent value is JSON null; a present one is its content (as jackson-datatype-jdk8)
      return normalize(o.orElse(null));
    }
    if (value instanceof Number || value instanceof byte[]) {
      // The form a JSON reload yields (5L reads back as 5), so every backend returns the same.
      return freeze(value);
    }
    if (value instanceof Map<?, ?> || value instanceof List<?>) {
      boolean plain;
      try {
        plain = isPlain(value, 0);
      } catch (TooDeep e) {
        throw new IllegalArgumentException(
            "a value of type "
                + value.getClass().getName()
                + " cannot be represented as JSON: it contains itself, or nests more than "
                + MAX_DEPTH
                + " levels deep (flatten it)");
      } catch (StackOverflowError e) {
        throw new IllegalArgumentException(
            "a value of type "
                + value.getClass().getName()
                + " cannot be represented as JSON: it contains itself",
            e);
      }
      if (plain) {
        return freeze(value);
      }
    }
    if (value.getClass().isRecord() && value.getClass().getRecordComponents().length == 0) {
      return freeze(Map.of()); // a record without components is an empty object, not an error
    }
    Object converted;
    try {
      TokenBuffer buffer = new TokenBuffer(MAPPER, false);
      STRICT_WRITER.writeValue(buffer, value);
      try (JsonParser parser = buffer.asParser()) {
        converted = MAPPER.readValue(parser, OBJECT);
      }
    } catch (IOException | IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "a value of type "
              + value.getClass().getName()
              + " cannot be represented as JSON: "
              + rootMessage(e),
          e);
    } catch (StackOverflowError e) {
      throw new IllegalArgumentException(
          "a value of type "
              + value.getClass().getName()
              + " cannot be represented as JSON: it refers to itself",
          e);
    }
    String lone =
        StoreLimits.firstLoneSurrogate(converted, "a value of type " + value.getClass().getName());
    if (lone != null) {
      throw new InvalidTextException(lone);
    }
    return freeze(converted);
  }

  private static Object normalizeNumber(Number n) {
    if (n instanceof Short || n instanceof Byte) {
      return n.intValue();
    }
    if (n instanceof AtomicInteger
        || n instanceof AtomicLong
        || n instanceof LongAdder
        || n instanceof LongAccumulator) {
      // whole numbers stay whole (doubleValue() below would turn 4 into 4.0)
      long l = n.longValue();
      return (l >= Integer.MIN_VALUE && l <= Integer.MAX_VALUE) ? (Object) (int) l : (Object) l;
    }
    if (n instanceof Double) {
      return n; // no new box: normalised already
    }
    if (n instanceof Float) {
      return Double.valueOf(Float.toString(n.floatValue()));
    }
    if (n instanceof BigDecimal d) {
      return d.doubleValue();
    }
    return n.doubleValue();
  }

  private static boolean isPlain(Object v, int depth) {
    if (depth > MAX_DEPTH) {
      throw new TooDeep();
    }
    if (v == null
        || v instanceof FrozenMap
        || v instanceof FrozenList
        || v instanceof StampedMap
        || v instanceof Stamp
        || v instanceof Boolean
        || v instanceof Integer
        || v instanceof Long
        || v instanceof Double
        || v instanceof BigInteger) {
      return true;
    }
    if (v instanceof String str) {
      // A lone surrogate cannot be encoded as UTF-8: a store would change the string silently.
      InvalidTextException.require(str, "a string in a JSON value");
      return true;
    }
    if (v instanceof Map<?, ?> m) {
      for (Map.Entry<?, ?> e : m.entrySet()) {
        if (!(e.getKey() instanceof String k) || !isPlain(e.getValue(), depth + 1)) {
          return false;
        }
        InvalidTextException.require(k, "a key of a JSON object");
      }
      return true;
    }
    if (v instanceof List<?> l) {
      for (Object o : l) {
        if (!isPlain(o, depth + 1)) {
          return false;
        }
      }
      return true;
    }
    return false;
  }

  /** A value nests deeper than {@link #MAX_DEPTH} (or contains itself). */
  private static final class TooDeep extends RuntimeException {
    TooDeep() {
      super(null, null, false, false);
    }
  }

  /** Makes a plain JSON value deeply unmodifiable, normalising integral numbers. */
  static Object freeze(Object v) {
    if (v instanceof FrozenMap || v instanceof FrozenList || v instanceof StampedMap) {
      return v; // made by freeze already: deeply normalised and unmodifiable
    }
    if (v instanceof Stamp st) {
      return st.iso();
    }
    if (v instanceof Map<?, ?> m) {
      if (m.isEmpty()) {
        return EMPTY_MAP;
      }
      Object[] kv = new Object[m.size() * 2];
      int i = 0;
      for (Map.Entry<?, ?> e : m.entrySet()) {
        if (!(e.getKey() instanceof String k)) {
          return freezeMixedKeys(m);
        }
        kv[i++] = k;
        kv[i++] = freeze(e.getValue());
      }
      return new FrozenMap(i == kv.length ? kv : Arrays.copyOf(kv, i));
    }
    if (v instanceof List<?> l) {
      List<Object> copy = new ArrayList<>(l.size());
      for (Object o : l) {
        copy.add(freeze(o));
      }
      return new FrozenList(copy.toArray());
    }
    if (v instanceof Long l && l >= Integer.MIN_VALUE && l <= Integer.MAX_VALUE) {
      return l.intValue();
    }
    if (v instanceof BigInteger b && b.bitLength() < 64) {
      long l = b.longValue();
      return (l >= Integer.MIN_VALUE && l <= Integer.MAX_VALUE) ? (Object) (int) l : (Object) l;
    }
    if (v instanceof Number n && !(v instanceof Integer) && !(v instanceof Long)) {
      return v instanceof BigInteger ? v : requireFinite(normalizeNumber(n));
    }
    if (v instanceof byte[] bytes) {
      // Jackson writes bytes as base64 text; hold them as the text a reload yields.
      return java.util.Base64.getEncoder().encodeToString(bytes);
    }
    return v;
  }

  /**
   * A map with keys that are not all strings: they become their text, and when two become the same
   * text (1 and "1") the later one wins, as in a JSON object.
   */
  private static FrozenMap freezeMixedKeys(Map<?, ?> m) {
    Map<String, Object> copy = new LinkedHashMap<>(Math.max(4, m.size() * 2));
    for (Map.Entry<?, ?> e : m.entrySet()) {
      copy.put(String.valueOf(e.getKey()), freeze(e.getValue()));
    }
    return new FrozenMap(FrozenMap.toArray(copy));
  }

  /** JSON has no NaN or infinities: Jackson would write them as strings, changing the value. */
  private static Object requireFinite(Object number) {
    if (number instanceof Double d && !Double.isFinite(d)) {
      throw new IllegalArgumentException(
          "the number " + d + " cannot be represented as JSON (no NaN or infinity)");
    }
    return number;
  }

  /** Normalises a metadata map: string keys, JSON values, unmodifiable. */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> normalizeMap(Map<String, ?> map) {
    if (map == null || map.isEmpty()) {
      return Map.of();
    }
    return (Map<String, Object>) normalize(map);
  }

  /**
   * {@code base} with {@code entries} put over it, normalised and unmodifiable. Only the new
   * entries are normalised when {@code base} is already normalised (as every model map is), so
   * adding a few keys to a large map copies it once instead of re-checking every value.
   *
   * @throws IllegalArgumentException when an entry cannot be represented as JSON
   */
  public static Map<String, Object> merge(Map<String, ?> base, Map<String, ?> entries) {
    if (entries == null || entries.isEmpty()) {
      return normalizeMap(base);
    }
    if ((base == null || base.isEmpty()) && !hasCompactable(entries)) {
      return normalizeMap(entries); // the same map, without a copy on the way
    }
    if (base == null || base.isEmpty()) {
      return StampedMap.merge(NO_ENTRIES, null, null, Double.NaN, Double.NaN, entries);
    }
    if (base instanceof StampedMap sm) {
      return sm.with(entries);
    }
    if (!(base instanceof FrozenMap)) {
      Map<String, Object> merged = new LinkedHashMap<>(base);
      merged.putAll(entries);
      return normalizeMap(merged);
    }
    return ((FrozenMap) base).with(entries);
  }

  private static final Object[] NO_ENTRIES = new Object[0];

  /** Whether {@code entries} holds a {@link Stamp} (kept compact by {@link StampedMap}). */
  static boolean hasCompactable(Map<String, ?> entries) {
    if (entries.size() > StampedMap.MAX_ENTRIES) {
      return false;
    }
    for (Object v : entries.values()) {
      if (v instanceof Stamp) {
        return true;
      }
    }
    return false;
  }

  /** Converts a JSON value to the requested type ({@code null} stays {@code null}). */
  public static <T> T convert(Object value, Class<T> type) {
    if (value == null) {
      return null;
    }
    if (type.isInstance(value)) {
      return type.cast(value);
    }
    Object widened = widen(value, type);
    if (widened != null) {
      return type.cast(widened);
    }
    try {
      return MAPPER.convertValue(value, type);
    } catch (IllegalArgumentException e) {
      throw cannotConvert(value, type.getName(), e);
    }
  }

  /**
   * A whole number as another boxed whole type (or a double) when no digit is lost, as the codec
   * would convert it, without its buffers: a JSON reload reads a {@code long} that fits in an int
   * back as an {@code Integer}, so a task declaring {@code Long} gets that conversion on every run.
   * {@code null} when this is not such a case.
   */
  private static Object widen(Object value, Class<?> type) {
    if (!(value instanceof Integer || value instanceof Long)) {
      return null;
    }
    long l = ((Number) value).longValue();
    if (type == Long.class) {
      return l;
    }
    if (type == Integer.class && l >= Integer.MIN_VALUE && l <= Integer.MAX_VALUE) {
      return (int) l;
    }
    if (type == Double.class && Math.abs(l) <= (1L << 53)) {
      return (double) l;
    }
    return null;
  }

  /** Converts a JSON value to the requested generic type. */
  @SuppressWarnings("unchecked")
  public static <T> T convert(Object value, Type type) {
    if (type instanceof Class<?> c) {
      return (T) convert(value, c);
    }
    if (value == null) {
      return null;
    }
    JavaType javaType = MAPPER.getTypeFactory().constructType(type);
    try {
      return MAPPER.convertValue(value, javaType);
    } catch (IllegalArgumentException e) {
      throw cannotConvert(value, javaType.toCanonical(), e);
    }
  }

  private static IllegalArgumentException cannotConvert(
      Object value, String typeName, IllegalArgumentException e) {
    return new IllegalArgumentException(
        "cannot convert a "
            + value.getClass().getName()
            + " to "
            + typeName
            + ": "
            + rootMessage(e),
        e);
  }

  /** Writes a value as compact JSON text. */
  public static String write(Object value) {
    String fast = FastJson.write(value);
    if (fast != null) {
      return fast;
    }
    try {
      return MAPPER.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("value cannot be written as JSON: " + rootMessage(e), e);
    }
  }

  /** Writes a value as compact UTF-8 JSON bytes. */
  public static byte[] writeBytes(Object value) {
    String fast = FastJson.write(value); // never holds a surrogate: its UTF-8 is the mapper's
    if (fast != null) {
      return fast.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }
    try {
      return MAPPER.writeValueAsBytes(value);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("value cannot be written as JSON: " + rootMessage(e), e);
    }
  }

  /**
   * Parses JSON text into a JSON value.
   *
   * @throws IllegalArgumentException when the text is not valid JSON
   */
  public static Object read(String text) {
    if (text == null) {
      throw new IllegalArgumentException("not valid JSON: null instead of text");
    }
    Object fast = FastJson.read(text);
    if (fast != FastJson.UNSUPPORTED) {
      return fast;
    }
    return readWithParser(text);
  }

  /** {@link #read(String)} without {@link FastJson}: Jackson's parser, then its mapper. */
  static Object readWithParser(String text) {
    try (com.fasterxml.jackson.core.JsonParser p = FROZEN_READER.createParser(text)) {
      return readFrozen(p);
    } catch (IOException | RuntimeException fast) {
      // the one-pass reader says only that it failed: the mapper says why
    }
    try {
      return freeze(MAPPER.readValue(text, OBJECT));
    } catch (IOException e) {
      throw new IllegalArgumentException("not valid JSON: " + rootMessage(e), e);
    }
  }

  /**
   * Parses UTF-8 JSON bytes into a JSON value.
   *
   * @throws IllegalArgumentException when the bytes are not valid JSON
   */
  public static Object read(byte[] bytes) {
    if (bytes == null) {
      throw new IllegalArgumentException("not valid JSON: null instead of bytes");
    }
    Object fast = FastJson.read(bytes);
    if (fast != FastJson.UNSUPPORTED) {
      return fast;
    }
    return readWithParser(bytes);
  }

  /** {@link #read(byte[])} without {@link FastJson}: Jackson's parser, then its mapper. */
  static Object readWithParser(byte[] bytes) {
    try (com.fasterxml.jackson.core.JsonParser p = FROZEN_READER.createParser(bytes)) {
      return readFrozen(p);
    } catch (IOException | RuntimeException fast) {
      // the one-pass reader says only that it failed: the mapper says why
    }
    try {
      return freeze(MAPPER.readValue(bytes, OBJECT));
    } catch (IOException e) {
      throw new IllegalArgumentException("not valid JSON: " + rootMessage(e), e);
    }
  }

  /**
   * Reads one JSON document straight into the frozen values {@link #freeze} makes, in one pass (no
   * intermediate maps and lists): what every stored record's read costs. Anything it does not
   * accept (trailing content, a duplicate key, a malformed document) throws, and the caller asks
   * the mapper, whose error says why.
   */
  private static Object readFrozen(com.fasterxml.jackson.core.JsonParser p) throws IOException {
    com.fasterxml.jackson.core.JsonToken first = p.nextToken();
    if (first == null) {
      throw new IOException("no content");
    }
    Object v = readFrozen(p, first);
    if (p.nextToken() != null) {
      throw new IOException("trailing content");
    }
    return v;
  }

  private static Object readFrozen(
      com.fasterxml.jackson.core.JsonParser p, com.fasterxml.jackson.core.JsonToken t)
      throws IOException {
    switch (t) {
      case START_OBJECT:
        {
          Object[] kv = null;
          int n = 0;
          java.util.Set<String> seen = null; // the keys, once there are more than LINEAR_KEYS
          for (com.fasterxml.jackson.core.JsonToken k = p.nextToken();
              k == com.fasterxml.jackson.core.JsonToken.FIELD_NAME;
              k = p.nextToken()) {
            String name = p.currentName();
            seen = withKey(kv, n, name, seen);
            if (seen == DUPLICATE_KEY) {
              throw new IOException("duplicate key");
            }
            Object v = readFrozen(p, p.nextToken());
            if (kv == null) {
              kv = new Object[8];
            } else if (n + 2 > kv.length) {
              kv = Arrays.copyOf(kv, kv.length * 2);
            }
            kv[n++] = name;
            kv[n++] = v;
          }
          return n == 0 ? EMPTY_MAP : new FrozenMap(n == kv.length ? kv : Arrays.copyOf(kv, n));
        }
      case START_ARRAY:
        {
          List<Object> items = new ArrayList<>();
          for (com.fasterxml.jackson.core.JsonToken e = p.nextToken();
              e != com.fasterxml.jackson.core.JsonToken.END_ARRAY;
              e = p.nextToken()) {
            if (e == null) {
              throw new IOException("unterminated array");
            }
            items.add(readFrozen(p, e));
          }
          return new FrozenList(items.toArray());
        }
      case VALUE_STRING:
        return p.getText();
      case VALUE_NUMBER_INT:
        switch (p.getNumberType()) {
          case INT:
            return p.getIntValue();
          case LONG:
            return p.getLongValue();
          default:
            return freeze(p.getBigIntegerValue());
        }
      case VALUE_NUMBER_FLOAT:
        return requireFinite(p.getDoubleValue());
      case VALUE_TRUE:
        return Boolean.TRUE;
      case VALUE_FALSE:
        return Boolean.FALSE;
      case VALUE_NULL:
        return null;
      default:
        throw new IOException("unexpected " + t);
    }
  }

  /** What {@link #withKey} answers for a key the object already has (compared by identity). */
  static final java.util.Set<String> DUPLICATE_KEY =
      java.util.Collections.unmodifiableSet(new java.util.HashSet<>());

  /**
   * Checks {@code key} against the {@code n / 2} keys already read into {@code kv} (key, value,
   * ...) of an object being read: by comparison up to {@link #LINEAR_KEYS} keys, beyond them in a
   * set. Returns what to pass as {@code seen} with the next key ({@code null} while comparing), or
   * {@link #DUPLICATE_KEY} when the object already has {@code key}. Both readers of stored JSON
   * ({@link #readFrozen}, {@link FastJson#read}) refuse a duplicate this way.
   */
  static java.util.Set<String> withKey(Object[] kv, int n, String key, java.util.Set<String> seen) {
    if (seen != null) {
      return seen.add(key) ? seen : DUPLICATE_KEY;
    }
    for (int i = 0; i < n; i += 2) {
      if (key.equals(kv[i])) {
        return DUPLICATE_KEY;
      }
    }
    if (n / 2 == LINEAR_KEYS) {
      seen = new java.util.HashSet<>();
      for (int i = 0; i < n; i += 2) {
        seen.add((String) kv[i]);
      }
      seen.add(key);
    }
    return seen;
  }

  /** Up to this many keys, a duplicate is looked for by comparison; beyond, in a set. */
  private static final int LINEAR_KEYS = 16;

  private static String rootMessage(Throwable t) {
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String msg = root.getMessage();
    if (msg == null) {
      return root.getClass().getSimpleName();
    }
    int nl = msg.indexOf('\n');
    return nl > 0 ? msg.substring(0, nl) : msg;
  }

  private static SimpleModule optionalModule() {
    SimpleModule m = new SimpleModule("taskflow4j-optional");
    m.addSerializer(new OptionalSerializer());
    @SuppressWarnings({"unchecked", "rawtypes"})
    Class<Optional<?>> optional = (Class) Optional.class;
    m.addDeserializer(optional, new OptionalDeserializer(null));
    return m;
  }

  /** Writes an {@link Optional} as its content, or {@code null} when empty. */
  private static final class OptionalSerializer extends StdSerializer<Optional<?>> {
    private static final long serialVersionUID = 1L;

    @SuppressWarnings({"unchecked", "rawtypes"})
    OptionalSerializer() {
      super((Class) Optional.class);
    }

    @Override
    public void serialize(Optional<?> value, JsonGenerator gen, SerializerProvider provider)
        throws IOException {
      if (value.isPresent()) {
        provider.defaultSerializeValue(value.get(), gen);
      } else {
        gen.writeNull();
      }
    }
  }

  /** Reads an {@link Optional} from its content; {@code null} or absent is empty. */
  private static final class OptionalDeserializer extends StdDeserializer<Optional<?>>
      implements ContextualDeserializer {
    private static final long serialVersionUID = 1L;
    private final JavaType content;

    OptionalDeserializer(JavaType content) {
      super(Optional.class);
      this.content = content;
    }

    @Override
    public JsonDeserializer<?> createContextual(
        DeserializationContext ctxt, BeanProperty property) {
      JavaType type = property != null ? property.getType() : ctxt.getContextualType();
      JavaType inner =
          type == null ? ctxt.constructType(Object.class) : type.containedTypeOrUnknown(0);
      return new OptionalDeserializer(inner);
    }

    @Override
    public Optional<?> deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
      JavaType t = content == null ? ctxt.constructType(Object.class) : content;
      return Optional.ofNullable(ctxt.readValue(p, t));
    }

    @Override
    public Optional<?> getNullValue(DeserializationContext ctxt) {
      return Optional.empty();
    }

    @Override
    public Object getAbsentValue(DeserializationContext ctxt) {
      return Optional.empty();
    }
  }
}
