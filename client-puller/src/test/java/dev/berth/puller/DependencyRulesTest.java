package dev.berth.puller;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * The puller is a client: it never imports the registry server or the storage drivers. Inside it, registry
 * (HTTP only) and store (disk only) know nothing of each other; pull joins them; mount sits on the store;
 * snapshot (containerd's snapshotter) sits on the store and may pull; cli and agent wire everything together.
 */
@AnalyzeClasses(packages = "dev.berth.puller", importOptions = ImportOption.DoNotIncludeTests.class)
class DependencyRulesTest {

    @ArchTest
    static final ArchRule neverImportsTheServer = noClasses()
            .that()
            .resideInAPackage("dev.berth.puller..")
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage("dev.berth.registry..", "dev.berth.storage..", "org.springframework..");

    @ArchTest
    static final ArchRule noPackageCycles =
            slices().matching("dev.berth.puller.(*)..").should().beFreeOfCycles();

    @ArchTest
    static final ArchRule packagesDependOnlyDownwards = layeredArchitecture()
            .consideringOnlyDependenciesInLayers()
            .layer("cli")
            .definedBy("dev.berth.puller.cli..")
            .layer("agent")
            .definedBy("dev.berth.puller.agent..")
            .layer("snapshot")
            .definedBy("dev.berth.puller.snapshot..")
            .layer("mount")
            .definedBy("dev.berth.puller.mount..")
            .layer("pull")
            .definedBy("dev.berth.puller.pull..")
            .layer("registry")
            .definedBy("dev.berth.puller.registry..")
            .layer("store")
            .definedBy("dev.berth.puller.store..")
            .whereLayer("cli")
            .mayNotBeAccessedByAnyLayer()
            .whereLayer("agent")
            .mayOnlyBeAccessedByLayers("cli")
            .whereLayer("snapshot")
            .mayOnlyBeAccessedByLayers("cli", "agent")
            .whereLayer("mount")
            .mayOnlyBeAccessedByLayers("cli")
            .whereLayer("pull")
            .mayOnlyBeAccessedByLayers("cli", "agent", "snapshot")
            .whereLayer("registry")
            .mayOnlyBeAccessedByLayers("cli", "agent", "pull")
            .whereLayer("store")
            .mayOnlyBeAccessedByLayers("cli", "agent", "snapshot", "mount", "pull");
}
