package dev.berth.unionfs.tar;

import dev.berth.unionfs.tar.RootFs.Dir;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The writer threads of one parallel apply: they create the regular files that the reading thread
 * hands them, each complete with its content and metadata.
 *
 * <p>Bounds: at most {@code maxTasks} files and {@code maxBytes} bytes of content (counted with a
 * fixed overhead per file) are queued or being written at once. {@link #offer} refuses a file beyond
 * that, and the reading thread then writes it itself, so that it never blocks on a full queue and
 * memory stays bounded. Threads start with the first file, so a layer without small files starts
 * none.
 *
 * <p>Failure: the first failing file (the earliest in tar order among those that failed) is recorded,
 * every thread stops after the file it is writing, queued files are dropped, and the failure is
 * rethrown on the reading thread by the next {@link #offer}, {@link #await}, {@link #awaitAll} or
 * {@link #checkFailure}. {@link #close} drops what is queued and joins every thread: after it returns
 * no writer runs.
 *
 * <p>Cost. A layer of small files hands over tens of thousands of files a second, so the busy path
 * takes no lock: a lock-free queue and atomic counters. The lock and its conditions are only for
 * sleeping: a writer with nothing to do, or the reader waiting for a file. Each side announces that it
 * is about to sleep in a volatile field and checks again before sleeping, and the other side looks at
 * that field after publishing its own change, so no wake-up is lost (and none is sent when nobody
 * sleeps).
 */
final class FileWriterPool implements AutoCloseable {

    /** Writes one file; called on writer threads and, for refused files, on the reading thread. */
    @FunctionalInterface
    interface Writer {
        void write(SmallFile f, ByteBuffer direct) throws IOException;
    }

    /** Bytes charged per queued file on top of its content: names, metadata, bookkeeping. */
    static final int OVERHEAD = 512;

    /**
     * A regular file with everything needed to create it: the parent's descriptor (retained until the
     * file is done), its name there, content and metadata. {@code seq} is its position in the tar and
     * {@code entry} its name there (a byte string, for messages).
     */
    static final class SmallFile {
        final long seq;
        final Dir dir;
        final byte[] name;
        final String entry;
        /** Dropped once written, so that a finished file the reader still tracks holds no content. */
        byte[] data;

        final long cost;
        final int mode;
        final int uid;
        final int gid;
        final long[] times;
        final Map<String, byte[]> xattrs;
        volatile boolean done;

        SmallFile(
                long seq,
                Dir dir,
                byte[] name,
                String entry,
                byte[] data,
                int mode,
                int uid,
                int gid,
                long[] times,
                Map<String, byte[]> xattrs) {
            this.seq = seq;
            this.dir = dir;
            this.name = name;
            this.entry = entry;
            this.data = data;
            this.cost = (long) data.length + OVERHEAD;
            this.mode = mode;
            this.uid = uid;
            this.gid = gid;
            this.times = times;
            this.xattrs = xattrs;
        }
    }

    private final int threadCount;
    private final int maxTasks;
    private final long maxBytes;
    private final int directSize;
    private final Writer writer;
    private final String threadName;

    private final ConcurrentLinkedQueue<SmallFile> queue = new ConcurrentLinkedQueue<>();
    /** Files offered and not yet written or dropped, and their cost. */
    private final AtomicInteger pending = new AtomicInteger();

    private final AtomicLong pendingBytes = new AtomicLong();

    private final ReentrantLock lock = new ReentrantLock();
    /** Idle writers sleep here. */
    private final Condition work = lock.newCondition();
    /** The reader sleeps here until {@link #waitingFor} is written (null: until every file is). */
    private final Condition progress = lock.newCondition();
    /** Writers asleep on {@link #work}, or about to be; changed under the lock. */
    private volatile int idle;
    /** The reader is asleep on {@link #progress}, or about to be; changed under the lock. */
    private volatile boolean readerWaiting;

    private volatile SmallFile waitingFor;
    private volatile boolean closed;
    private volatile Throwable failure;
    private long failureSeq; // under the lock
    private Thread[] threads; // started and joined by the reader only

    FileWriterPool(int threads, int maxTasks, long maxBytes, int directSize, Writer writer, String threadName) {
        this.threadCount = threads;
        this.maxTasks = maxTasks;
        this.maxBytes = maxBytes;
        this.directSize = directSize;
        this.writer = writer;
        this.threadName = threadName;
    }

    /**
     * Queues a file whose {@link SmallFile#dir} the caller has retained: once queued, the pool releases
     * it when the file is written or dropped. False, with nothing queued, when the queue is full: then
     * the reference is still the caller's, and so is the file (write it yourself). Reader only.
     */
    boolean offer(SmallFile f) throws IOException {
        checkFailure();
        if (closed) {
            throw new IllegalStateException("writer pool closed");
        }
        long cost = f.cost;
        int n = pending.get();
        if (n >= maxTasks || (n > 0 && pendingBytes.get() + cost > maxBytes)) {
            return false; // only the reader adds, so these only shrink meanwhile
        }
        if (threads == null) {
            start();
        }
        pending.incrementAndGet();
        pendingBytes.addAndGet(cost);
        queue.offer(f);
        if (idle > 0) {
            lock.lock();
            try {
                work.signal();
            } finally {
                lock.unlock();
            }
        }
        return true;
    }

    private void start() {
        threads = new Thread[threadCount];
        for (int i = 0; i < threads.length; i++) {
            Thread t = new Thread(this::run, threadName + "-" + (i + 1));
            t.setDaemon(true);
            threads[i] = t;
            t.start();
        }
    }

    /** Waits until {@code f} (offered earlier) is written; throws the pool's failure if there is one. */
    void await(SmallFile f) throws IOException {
        if (!f.done) {
            waitUntil(f);
        }
        checkFailure();
    }

    /** Waits until every offered file is written. */
    void awaitAll() throws IOException {
        if (pending.get() > 0) {
            waitUntil(null);
        }
        checkFailure();
    }

    private void waitUntil(SmallFile f) throws IOException {
        lock.lock();
        try {
            waitingFor = f;
            readerWaiting = true;
            while (failure == null && (f == null ? pending.get() > 0 : !f.done)) {
                progress.await();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for layer files to be written");
        } finally {
            readerWaiting = false;
            waitingFor = null;
            lock.unlock();
        }
    }

    /** Rethrows the first failure of a writer, if any. */
    void checkFailure() throws IOException {
        Throwable t = failure;
        if (t != null) {
            throw rethrow(t);
        }
    }

    /** The failure of the earliest file that failed, once {@link #close} has returned; else null. */
    Throwable failure() {
        return failure;
    }

    static IOException rethrow(Throwable t) {
        if (t instanceof IOException io) {
            return io;
        }
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof Error err) {
            throw err;
        }
        return new IOException(t);
    }

    private void run() {
        ByteBuffer direct = ByteBuffer.allocateDirect(directSize);
        SmallFile f;
        while ((f = next()) != null) {
            Throwable err = null;
            try {
                writer.write(f, direct);
            } catch (Throwable t) { // NOPMD: any failure, Errors included, must reach the reading thread
                err = t;
            } finally {
                f.data = null;
                f.dir.release();
            }
            done(f, err);
        }
    }

    /** The next file to write, or null when the pool is closed or has failed. */
    private SmallFile next() {
        while (true) {
            if (closed || failure != null) {
                return null;
            }
            SmallFile f = queue.poll();
            if (f != null) {
                return f;
            }
            lock.lock();
            try {
                idle++;
                // Checked again after announcing: an offer either sees idle > 0 or is seen here.
                while ((f = queue.poll()) == null && !closed && failure == null) {
                    work.awaitUninterruptibly();
                }
            } finally {
                idle--;
                lock.unlock();
            }
            if (f != null) {
                if (closed || failure != null) {
                    drop(f);
                    return null;
                }
                return f;
            }
        }
    }

    private void done(SmallFile f, Throwable err) {
        pendingBytes.addAndGet(-f.cost);
        int left = pending.decrementAndGet();
        f.done = true;
        if (err != null) {
            lock.lock();
            try {
                if (failure == null || f.seq < failureSeq) {
                    failureSeq = f.seq;
                    failure = err;
                }
                work.signalAll();
                progress.signal();
            } finally {
                lock.unlock();
            }
        } else if (readerWaiting) {
            SmallFile w = waitingFor;
            if (w == f || (w == null && left == 0)) {
                lock.lock();
                try {
                    progress.signal();
                } finally {
                    lock.unlock();
                }
            }
        }
    }

    private void drop(SmallFile f) {
        f.data = null;
        f.dir.release();
        pendingBytes.addAndGet(-f.cost);
        pending.decrementAndGet();
    }

    /** Drops queued files and waits for every writer thread to end. Idempotent. Reader only. */
    @Override
    public void close() {
        closed = true;
        lock.lock();
        try {
            work.signalAll();
        } finally {
            lock.unlock();
        }
        Thread[] ts = threads;
        if (ts != null) {
            boolean interrupted = false;
            for (Thread t : ts) {
                while (true) {
                    try {
                        t.join();
                        break;
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        SmallFile f;
        while ((f = queue.poll()) != null) {
            drop(f);
        }
    }
}
