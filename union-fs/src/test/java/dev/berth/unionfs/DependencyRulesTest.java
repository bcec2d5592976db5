package dev.berth.unionfs;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * union-fs is a library under the puller: it never imports the puller, the registry or the storage drivers, and
 * its own packages stack without cycles (bundles on mounts, mounts and layer application on the system calls).
 */
@AnalyzeClasses(packages = "dev.berth.unionfs", importOptions = ImportOption.DoNotIncludeTests.class)
class DependencyRulesTest {

    @ArchTest
    static final ArchRule knowsNothingAboveIt = noClasses()
            .that()
            .resideInAPackage("dev.berth.unionfs..")
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage(
                    "dev.berth.registry..", "dev.berth.puller..", "dev.berth.storage..", "org.springframework..");

    @ArchTest
    static final ArchRule layers = layeredArchitecture()
            .consideringOnlyDependenciesInLayers()
            .layer("bundle")
            .definedBy("dev.berth.unionfs.bundle..")
            .layer("mount")
            .definedBy("dev.berth.unionfs.mount..")
            .layer("tar")
            .definedBy("dev.berth.unionfs.tar..")
            .layer("sys")
            .definedBy("dev.berth.unionfs.sys..")
            .whereLayer("bundle")
            .mayNotBeAccessedByAnyLayer()
            .whereLayer("mount")
            .mayOnlyBeAccessedByLayers("bundle")
            .whereLayer("tar")
            .mayNotBeAccessedByAnyLayer()
            .whereLayer("sys")
            .mayOnlyBeAccessedByLayers("bundle", "mount", "tar");
}
