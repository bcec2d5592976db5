package dev.berth.puller.pull;

import dev.berth.puller.store.ImageRecord;
import java.time.Duration;

/**
 * @param image          the record written to the store
 * @param layersFetched  layers downloaded and applied by this pull
 * @param layersPresent  layers that were already in the store
 * @param bytesFetched   compressed bytes downloaded (including bytes re-read after a restart)
 * @param duration       wall-clock time
 */
public record PullResult(
        ImageRecord image, int layersFetched, int layersPresent, long bytesFetched, Duration duration) {}
